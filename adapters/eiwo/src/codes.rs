//! Code lists of the e-IWO formats and the error codes of this crate.
//!
//! Every enum has `code()` and `from_code()` for its external code, exact and
//! case-sensitive, and `ALL`.

use ivd_fixed::ErrorCode;
use ivd_model::code_enum;

code_enum! {
    /// Document Action Code of a `DTL` record (positions 7–9, §1.3 \[V2\]); the IWO form's
    /// boxes 1a–1d.
    DocumentAction {
        /// `ORG`: original, a new order for the case.
        Original = "ORG",
        /// `AMD`: amended, any change except termination.
        Amended = "AMD",
        /// `TRM`: termination, stop withholding.
        Termination = "TRM",
        /// `LUM`: one-time deduction from a known lump-sum payment.
        LumpSum = "LUM",
    }
}

code_enum! {
    /// Document Action Code of an `ACK` record (§1.4): the action of the IWO it answers,
    /// or `EMP` for a notice the employer starts (lump sum, suspension, termination).
    AckAction {
        /// `ORG`.
        Original = "ORG",
        /// `AMD`.
        Amended = "AMD",
        /// `TRM`.
        Termination = "TRM",
        /// `LUM`.
        LumpSum = "LUM",
        /// `EMP`: employer-initiated notice (\[V\] Kansas branches on it).
        EmployerInitiated = "EMP",
    }
}

impl From<DocumentAction> for AckAction {
    fn from(a: DocumentAction) -> Self {
        match a {
            DocumentAction::Original => AckAction::Original,
            DocumentAction::Amended => AckAction::Amended,
            DocumentAction::Termination => AckAction::Termination,
            DocumentAction::LumpSum => AckAction::LumpSum,
        }
    }
}

code_enum! {
    /// The "per" period of an amount on the IWO (boxes 5b–12b), one byte in the record
    /// (Kansas `EIWO_B587_DETAIL_RECORD`: every frequency field is 1 long). **\[P\]** for
    /// the values: no public source read gives the code table, so the codes are the first
    /// letter of each pay period of the IWO form (weekly, biweekly, semimonthly, monthly),
    /// the four periods box 13 names. A case's bimonthly obligation is written as its
    /// monthly amount (see `iwo_from_case`).
    Frequency {
        /// Weekly. `W`.
        Weekly = "W",
        /// Every two weeks. `B`.
        Biweekly = "B",
        /// Twice a month. `S`.
        Semimonthly = "S",
        /// Monthly. `M`.
        Monthly = "M",
    }
}

impl Frequency {
    /// How many periods a year has.
    pub const fn per_year(self) -> i64 {
        match self {
            Frequency::Weekly => 52,
            Frequency::Biweekly => 26,
            Frequency::Semimonthly => 24,
            Frequency::Monthly => 12,
        }
    }
}

code_enum! {
    /// Disposition Status Code of an acknowledgment (§1.4 \[V\] Kansas).
    DispositionStatus {
        /// `A`: the employer accepted the IWO.
        Accepted = "A",
        /// `R`: the employer rejected the IWO.
        Rejected = "R",
        /// `L`: employer-initiated lump-sum notice (`EMP` only).
        LumpSumNotice = "L",
        /// `S`: employer-initiated notice that the employee is suspended (`EMP` only).
        Suspended = "S",
        /// `T`: employer-initiated termination notice (`EMP` only).
        Terminated = "T",
    }
}

code_enum! {
    /// Disposition Reason Code of an acknowledgment (§1.4 table).
    DispositionReason {
        /// `B`: the employee's name differs from the employer's records.
        NameMismatch = "B",
        /// `S`: the employee is in suspense / suspended status (no pay).
        EmployeeSuspended = "S",
        /// `W`: incorrect FEIN, or the employee is under another FEIN of the employer.
        WrongFein = "W",
        /// `D`: duplicate IWO.
        Duplicate = "D",
        /// `M`: IWOs received from multiple states (see the multiple-IWO state code).
        MultipleStates = "M",
        /// `N`: the NCP is no longer employed here.
        NoLongerEmployed = "N",
        /// `O`: other reason.
        Other = "O",
        /// `U`: the NCP is not known to the employer (never employed).
        NotKnown = "U",
        /// `X`: the employer could not process the record.
        CannotProcess = "X",
        /// `Z`: no current IWO in place / unable to terminate (on `TRM`).
        NoCurrentIwo = "Z",
    }
}

impl DispositionReason {
    /// What the reason means, in plain words, for the state system and for employers'
    /// screens.
    pub const fn meaning(self) -> &'static str {
        match self {
            DispositionReason::NameMismatch => "employee name differs from the employer's records",
            DispositionReason::EmployeeSuspended => "employee is suspended or in a no-pay status",
            DispositionReason::WrongFein => "employee is under another FEIN of this employer",
            DispositionReason::Duplicate => "duplicate income withholding order",
            DispositionReason::MultipleStates => {
                "income withholding orders received from several states"
            }
            DispositionReason::NoLongerEmployed => "no longer employed by this employer",
            DispositionReason::Other => "other reason",
            DispositionReason::NotKnown => "not known to this employer (never employed)",
            DispositionReason::CannotProcess => "the employer could not process the record",
            DispositionReason::NoCurrentIwo => "no current income withholding order in place",
        }
    }
}

/// A disposition: status and optional reason. Whether a combination is allowed depends
/// on the acknowledgment's action; see [`Disposition::check`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Disposition {
    /// Status.
    pub status: DispositionStatus,
    /// Reason; `None` is a blank reason code.
    pub reason: Option<DispositionReason>,
}

impl Disposition {
    /// Accepted with no reason.
    pub const ACCEPTED: Disposition = Disposition {
        status: DispositionStatus::Accepted,
        reason: None,
    };

    /// Rejected for `reason`.
    pub const fn rejected(reason: DispositionReason) -> Self {
        Disposition {
            status: DispositionStatus::Rejected,
            reason: Some(reason),
        }
    }

    /// Checks the status/reason combination against the action (§1.4):
    ///
    /// * answering an IWO (`ORG`/`AMD`/`TRM`/`LUM`): `A` with no reason, `B`, `S` or `W`;
    ///   `R` with `B`, `S`, `W`, `D`, `M`, `N`, `O`, `U`, `X` or `Z` (a reason is
    ///   required). Kansas' list for `R` omits `Z`; the §1.4 table (Oracle and the Kansas
    ///   display) allows it, so it is accepted. `L`/`S`/`T` are refused.
    /// * employer-initiated (`EMP`): `L`, `S` or `T`, with any reason or none (§1.4 puts
    ///   no rule on `EMP` reasons, \[I\]); `A`/`R` are refused.
    ///
    /// The error is a message (no value in it) for an `INVALID_COMBINATION` error.
    pub fn check(&self, action: AckAction) -> Result<(), &'static str> {
        use DispositionReason as Re;
        use DispositionStatus as St;
        let iwo_answer = action != AckAction::EmployerInitiated;
        match (iwo_answer, self.status, self.reason) {
            (
                true,
                St::Accepted,
                None | Some(Re::NameMismatch | Re::EmployeeSuspended | Re::WrongFein),
            ) => Ok(()),
            (true, St::Accepted, Some(_)) => Err("status A allows only reason B, S, W or blank"),
            (true, St::Rejected, Some(_)) => Ok(()),
            (true, St::Rejected, None) => Err("status R needs a reason code"),
            (true, _, _) => Err("status L, S and T are only for employer-initiated (EMP) notices"),
            (false, St::LumpSumNotice | St::Suspended | St::Terminated, _) => Ok(()),
            (false, _, _) => Err("an employer-initiated (EMP) notice needs status L, S or T"),
        }
    }
}

/// Error codes of the envelope (file and batch headers and trailers), as the portal
/// reports them back to states (§1.2 \[V\] Kansas `LeEiwhDisplayEiwoHistory.cs`).
pub mod envelope {
    use super::ErrorCode;

    /// `CDT`: the creation date is not a valid `CCYYMMDD` date.
    pub const CDT: ErrorCode = ErrorCode::new("CDT");
    /// `CNM`: a control number is blank or not alphanumeric, or a trailer's control number
    /// differs from its header's.
    pub const CNM: ErrorCode = ErrorCode::new("CNM");
    /// `CTM`: the creation time is not a valid `HHMMSS` time.
    pub const CTM: ErrorCode = ErrorCode::new("CTM");
    /// `DOC`: a document code is unknown or of the wrong file kind (e.g. `FHA` in an IWO
    /// file).
    pub const DOC: ErrorCode = ErrorCode::new("DOC");
    /// `EIN`: the EIN is not a valid FEIN.
    pub const EIN: ErrorCode = ErrorCode::new("EIN");
    /// `FPS`: the state FIPS code is missing or not a state.
    pub const FPS: ErrorCode = ErrorCode::new("FPS");
    /// `PPE`: the primary (payroll-processor) EIN is not a valid FEIN.
    pub const PPE: ErrorCode = ErrorCode::new("PPE");
    /// `BCT`: the file trailer's batch count differs from the batches in the file.
    pub const BCT: ErrorCode = ErrorCode::new("BCT");
    /// `RCT`: a trailer's record count differs from the detail records it closes.
    pub const RCT: ErrorCode = ErrorCode::new("RCT");
    /// `REC`: invalid file structure (order of headers, details and trailers; a missing
    /// trailer; a record of the wrong length in the envelope).
    pub const REC: ErrorCode = ErrorCode::new("REC");
}

/// Error codes of detail (`DTL`, `ACK`) records, beyond [`ivd_fixed::ErrorCode`]'s field
/// syntax codes.
pub mod record {
    use super::ErrorCode;

    /// A code field (action, status, reason, frequency, indicator) holds an unknown code.
    pub const INVALID_CODE: ErrorCode = ErrorCode::new("INVALID_CODE");
    /// The disposition status and reason are not an allowed combination for the action
    /// ("Invalid Status/Reason Code Combination", §1.4).
    pub const INVALID_COMBINATION: ErrorCode = ErrorCode::new("INVALID_COMBINATION");
    /// An identifier (case id, SSN, FEIN, FIPS, state, ZIP, phone, name) is not valid; the
    /// message names the rule.
    pub const INVALID_ID: ErrorCode = ErrorCode::new("INVALID_ID");
    /// A field that the record's other fields make necessary is blank (e.g. a frequency
    /// for a non-zero amount, a termination date on a termination notice).
    pub const MISSING: ErrorCode = ErrorCode::new("MISSING");
    /// The record is of a type that does not belong in this file (e.g. `DTL` in an
    /// acknowledgment file).
    pub const WRONG_RECORD: ErrorCode = ErrorCode::new("WRONG_RECORD");
}
