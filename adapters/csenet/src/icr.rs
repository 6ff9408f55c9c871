//! Interstate Case Reconciliation (ICR): the State Extract File record (spec §2).
//!
//! Each state sends OCSE an extract of its interstate cases, **one record per participant**;
//! OCSE matches the states' extracts and returns reason codes ([`ReasonCode`]). A partner
//! may also hand us its extract directly, which is what the gateway's interstate case
//! reconciliation compares with our cases.
//!
//! The record layout ([`EXTRACT`], 241 bytes) is declared once and used by
//! [`IcrRecord::parse`] and [`IcrRecord::write`]. Confidence of each row (spec §0 tags):
//! positions 1–201 are \[V\] (ICR State Extract File record format v2.0); 202–241 (contact
//! phone and e-mail) are \[V\] only for the *results* file, which starts with the same
//! fields — the extract excerpt was cut off at 202; the record length 241 and one record
//! per line (LF or CRLF) are \[I\]. The results file's tail after 242 was not retrieved,
//! so it is not read here.
//!
//! Errors carry record number, field name, 1-based position and a stable code — never the
//! value: the record holds SSNs and names. `Debug` of [`IcrRecord`] masks both.
//!
//! ```
//! use ivd_csenet::icr::{self, CaseStatus, ParticipantType};
//!
//! let file = include_bytes!("../samples/icr-extract-inbound.txt");
//! let extract = icr::read_extract(file);
//! assert!(extract.verdicts.iter().all(|v| v.is_valid()));
//! let (number, first) = &extract.records[0];
//! assert_eq!(*number, 1);
//! assert_eq!(first.case_id, "CA-0001001");
//! assert_eq!(first.participant_type, ParticipantType::NoncustodialParent);
//! assert_eq!(first.case_status, CaseStatus::Open);
//! assert_eq!(first.other_case_id, "MN-0001234");
//!
//! // Written back with the same table: byte-identical.
//! assert_eq!(icr::write_extract(extract.records.iter().map(|(_, r)| r)).unwrap(), file);
//! ```

use std::fmt;

use ivd_fixed::{
    DateBlank, ErrorCode, Field, FieldError, FieldKind, Framing, Layout, RecordVerdict,
    RecordWriter, split_records,
};
use ivd_model::Ssn;
use time::Date;

use crate::transaction::{INVALID_CODE, INVALID_FIPS};

/// Error code: the SSN field holds something that is not a valid SSN.
pub const INVALID_SSN: ErrorCode = ErrorCode::new("INVALID_SSN");

/// Length of an extract record \[I\] (the results file's first 241 bytes \[V\]).
pub const RECORD_LEN: usize = 241;

const TEXT: FieldKind = FieldKind::TEXT;
const REQ: FieldKind = FieldKind::REQUIRED_TEXT;
const FILL: FieldKind = FieldKind::Filler;

/// The ICR State Extract File record, v2.0 (spec §2).
pub static EXTRACT: Layout = Layout::new(
    "ICR_EXTRACT",
    RECORD_LEN,
    &[
        Field::new("case_id", 1, 15, REQ), // [V] required, your case ID
        Field::new("initiating_responding", 16, 1, REQ), // [V] I / R
        Field::new("fips", 17, 5, REQ),    // [V] state + county
        Field::new("fips_6_7", 22, 2, TEXT), // [V] blank if not used
        Field::new("ssn", 24, 9, TEXT),    // [V] required for at least one child or adult
        Field::new("member_id", 33, 15, TEXT), // [V]
        Field::new("participant_type", 48, 2, REQ), // [V] NP / CP / PF / CH
        Field::new("case_status", 50, 1, REQ), // [V] O / C
        Field::new("last_name", 51, 30, TEXT), // [V]
        Field::new("first_name", 81, 16, TEXT), // [V]
        Field::new("middle_name", 97, 16, TEXT), // [V]
        Field::new(
            "date_of_birth",
            113,
            8,
            FieldKind::Date {
                blank: DateBlank::Spaces,
            },
        ), // [V] CCYYMMDD
        Field::new("sex", 121, 1, TEXT),   // [V] M / F / O
        Field::new("other_state_case_id", 122, 15, TEXT), // [V]
        Field::new("filler_137", 137, 1, FILL), // [V]
        Field::new("other_state_fips", 138, 7, TEXT), // [V] first 2 bytes required
        Field::new("filler_145", 145, 15, FILL), // [V]
        Field::new("filler_160", 160, 2, FILL), // [V]
        Field::new("contact_name", 162, 40, TEXT), // [V] worker name or ID
        Field::new("contact_phone", 202, 10, TEXT), // [V] results-file layout
        Field::new("contact_email", 212, 30, TEXT), // [V] results-file layout; length [I]
    ],
);
const _: () = EXTRACT.assert_valid();

macro_rules! icr_code {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $code:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            /// The code as the record holds it.
            pub fn code(self) -> &'static str {
                match self {
                    $($name::$variant => $code,)+
                }
            }

            /// The value of a code, `None` when the spec does not list it.
            pub fn from_code(code: &str) -> Option<Self> {
                match code {
                    $($code => Some($name::$variant),)+
                    _ => None,
                }
            }
        }
    };
}

icr_code! {
    /// Initiating/Responding Indicator (position 16).
    Role {
        /// `I`: the sending state initiated the case.
        Initiating = "I",
        /// `R`: the sending state responds.
        Responding = "R",
    }
}

icr_code! {
    /// Participant Type (positions 48–49).
    ParticipantType {
        /// `NP`: noncustodial parent.
        NoncustodialParent = "NP",
        /// `CP`: custodial party.
        CustodialParty = "CP",
        /// `PF`: putative father.
        PutativeFather = "PF",
        /// `CH`: child.
        Child = "CH",
    }
}

icr_code! {
    /// Case Status (position 50): the interstate case's status.
    CaseStatus {
        /// `O`: open.
        Open = "O",
        /// `C`: closed.
        Closed = "C",
    }
}

icr_code! {
    /// ICR reason codes of the reconciliation results (spec §2, \[V\] quick reference).
    ReasonCode {
        /// `00`: case data matched (case id, locator code and case status).
        Matched = "00",
        /// `01`: no matching case found in the other state.
        NoMatchingCase = "01",
        /// `02`: case id mismatch; case found through a child or adult in common.
        CaseIdMismatch = "02",
        /// `03`: wrong county code for the other state.
        WrongCounty = "03",
        /// `04`: your case is open; it matches a closed case in the other state.
        OpenMatchesClosed = "04",
        /// `05`: your case is closed; it matches an open case in the other state.
        ClosedMatchesOpen = "05",
        /// `06`: this participant is not on the other state's case.
        ParticipantNotOnCase = "06",
        /// `07`: the other state supplied an SSN for this participant.
        SsnSupplied = "07",
        /// `08`: the other state supplied a different SSN for this participant.
        DifferentSsn = "08",
        /// `09`: (FCR supplemental) case found on the FCR but not reported to ICR.
        FcrNotReported = "09",
        /// `10`: (FCR supplemental) the case is a non-IV-D case on the FCR.
        FcrNonIvd = "10",
    }
}

/// One extract record: one participant of one interstate case, from the point of view of
/// the state that wrote it ("case id" is the writer's, "other state" is its partner).
/// `Debug` masks the SSN and leaves names and the date of birth out.
#[derive(Clone, PartialEq, Eq)]
pub struct IcrRecord {
    /// The writing state's case id.
    pub case_id: String,
    /// Initiating or responding.
    pub role: Role,
    /// The writing state's FIPS, state and county (5 digits).
    pub fips: String,
    /// FIPS positions 6–7 (office), `""` when unused.
    pub fips_suffix: String,
    /// The participant's SSN, when known.
    pub ssn: Option<Ssn>,
    /// The writing state's person id.
    pub member_id: String,
    /// The participant's role.
    pub participant_type: ParticipantType,
    /// The interstate case's status.
    pub case_status: CaseStatus,
    /// Last name.
    pub last_name: String,
    /// First name.
    pub first_name: String,
    /// Middle name.
    pub middle_name: String,
    /// Date of birth.
    pub date_of_birth: Option<Date>,
    /// Sex: `M`, `F`, `O` or `""`.
    pub sex: String,
    /// The other state's case id, as the writer holds it.
    pub other_case_id: String,
    /// The other state's FIPS (7 characters; the first two, the state, are required).
    pub other_fips: String,
    /// Worker name or id.
    pub contact_name: String,
    /// Worker phone.
    pub contact_phone: String,
    /// Worker e-mail.
    pub contact_email: String,
}

impl fmt::Debug for IcrRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IcrRecord")
            .field("case_id", &self.case_id)
            .field("role", &self.role)
            .field("fips", &self.fips)
            .field("ssn", &self.ssn)
            .field("participant_type", &self.participant_type)
            .field("case_status", &self.case_status)
            .field("other_case_id", &self.other_case_id)
            .field("other_fips", &self.other_fips)
            .finish_non_exhaustive()
    }
}

fn position(name: &str) -> usize {
    EXTRACT.field(name).map(|f| f.start).unwrap_or(0)
}

fn field_error(code: ErrorCode, name: &'static str, message: &str) -> FieldError {
    FieldError::new(code, name, position(name), message)
}

impl IcrRecord {
    /// The other state's two-digit FIPS state code (`""` when the field is too short).
    pub fn other_state(&self) -> &str {
        self.other_fips.get(..2).unwrap_or("")
    }

    /// Parses one 241-byte record (no line terminator), returning every error.
    pub fn parse(record: &[u8]) -> Result<IcrRecord, Vec<FieldError>> {
        let rec = EXTRACT.read(record).map_err(|e| vec![e])?;
        let mut errors = rec.errors();
        let text = |name: &'static str| rec.text(name).unwrap_or_default().to_string();
        let role = Role::from_code(&text("initiating_responding"));
        let participant_type = ParticipantType::from_code(&text("participant_type"));
        let case_status = CaseStatus::from_code(&text("case_status"));
        let already = |errors: &[FieldError], name: &str| errors.iter().any(|e| e.field == name);
        for (name, ok, what) in [
            ("initiating_responding", role.is_some(), "not I or R"),
            (
                "participant_type",
                participant_type.is_some(),
                "not NP, CP, PF or CH",
            ),
            ("case_status", case_status.is_some(), "not O or C"),
        ] {
            if !ok && !already(&errors, name) {
                errors.push(field_error(INVALID_CODE, name, what));
            }
        }
        let sex = text("sex");
        if !matches!(sex.as_str(), "" | "M" | "F" | "O") && !already(&errors, "sex") {
            errors.push(field_error(INVALID_CODE, "sex", "not M, F or O"));
        }
        let fips = text("fips");
        let fips_ok = fips.len() == 5 && fips.bytes().all(|b| b.is_ascii_digit());
        if !fips.is_empty() && !fips_ok && !already(&errors, "fips") {
            errors.push(field_error(INVALID_FIPS, "fips", "not 5 digits"));
        }
        let other_fips = text("other_state_fips");
        let other_state_ok = other_fips
            .as_bytes()
            .get(..2)
            .is_some_and(|s| s.iter().all(u8::is_ascii_digit));
        if !other_state_ok && !already(&errors, "other_state_fips") {
            errors.push(field_error(
                INVALID_FIPS,
                "other_state_fips",
                "the first two positions are not a FIPS state code",
            ));
        }
        let ssn_text = text("ssn");
        let ssn = if ssn_text.is_empty() {
            None
        } else {
            match Ssn::parse(&ssn_text) {
                Ok(ssn) if ssn_text.len() == 9 => Some(ssn),
                _ => {
                    if !already(&errors, "ssn") {
                        errors.push(field_error(
                            INVALID_SSN,
                            "ssn",
                            "not a valid SSN of 9 digits",
                        ));
                    }
                    None
                }
            }
        };
        let date_of_birth = rec.date("date_of_birth").ok().flatten();
        match (role, participant_type, case_status) {
            (Some(role), Some(participant_type), Some(case_status)) if errors.is_empty() => {
                Ok(IcrRecord {
                    case_id: text("case_id"),
                    role,
                    fips,
                    fips_suffix: text("fips_6_7"),
                    ssn,
                    member_id: text("member_id"),
                    participant_type,
                    case_status,
                    last_name: text("last_name"),
                    first_name: text("first_name"),
                    middle_name: text("middle_name"),
                    date_of_birth,
                    sex,
                    other_case_id: text("other_state_case_id"),
                    other_fips,
                    contact_name: text("contact_name"),
                    contact_phone: text("contact_phone"),
                    contact_email: text("contact_email"),
                })
            }
            _ => Err(errors),
        }
    }

    /// Writes the 241-byte record (no line terminator). A value that does not fit is an
    /// error, never truncated; the written record is read back, so what this writes
    /// always parses.
    pub fn write(&self) -> Result<Vec<u8>, Vec<FieldError>> {
        let mut w = RecordWriter::new(&EXTRACT);
        let mut errors = Vec::new();
        let ssn = self.ssn.as_ref().map(Ssn::expose).unwrap_or("");
        let texts: [(&'static str, &str); 17] = [
            ("case_id", &self.case_id),
            ("initiating_responding", self.role.code()),
            ("fips", &self.fips),
            ("fips_6_7", &self.fips_suffix),
            ("ssn", ssn),
            ("member_id", &self.member_id),
            ("participant_type", self.participant_type.code()),
            ("case_status", self.case_status.code()),
            ("last_name", &self.last_name),
            ("first_name", &self.first_name),
            ("middle_name", &self.middle_name),
            ("sex", &self.sex),
            ("other_state_case_id", &self.other_case_id),
            ("other_state_fips", &self.other_fips),
            ("contact_name", &self.contact_name),
            ("contact_phone", &self.contact_phone),
            ("contact_email", &self.contact_email),
        ];
        for (name, value) in texts {
            if let Err(e) = w.text(name, value) {
                errors.push(e);
            }
        }
        if let Err(e) = w.date("date_of_birth", self.date_of_birth) {
            errors.push(e);
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let bytes = w.finish();
        IcrRecord::parse(&bytes)?;
        Ok(bytes)
    }
}

/// An extract file, read whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IcrExtract {
    /// Every valid record with its 1-based record (line) number, in file order.
    pub records: Vec<(u64, IcrRecord)>,
    /// One verdict per record (line) of the file.
    pub verdicts: Vec<RecordVerdict>,
}

impl IcrExtract {
    /// `true` when every record is valid.
    pub fn is_valid(&self) -> bool {
        self.verdicts.iter().all(RecordVerdict::is_valid)
    }
}

/// Reads an extract file: one record per line (LF or CRLF; the last line may lack its
/// terminator). One bad record never sinks the good ones. Never panics.
pub fn read_extract(bytes: &[u8]) -> IcrExtract {
    let mut extract = IcrExtract {
        records: Vec::new(),
        verdicts: Vec::new(),
    };
    for raw in split_records(bytes, RECORD_LEN, Framing::AnyNewline) {
        match raw {
            Ok(raw) => match IcrRecord::parse(raw.bytes) {
                Ok(record) => {
                    extract.records.push((raw.number, record));
                    extract.verdicts.push(RecordVerdict::valid(raw.number));
                }
                Err(errors) => extract
                    .verdicts
                    .push(RecordVerdict::new(raw.number, errors)),
            },
            Err(error) => {
                let number = error.record.unwrap_or(extract.verdicts.len() as u64 + 1);
                extract
                    .verdicts
                    .push(RecordVerdict::new(number, vec![error]));
            }
        }
    }
    extract
}

/// One verdict per record of an extract file (the `check` contract).
pub fn extract_verdicts(bytes: &[u8]) -> Vec<RecordVerdict> {
    read_extract(bytes).verdicts
}

/// Writes an extract file, one LF-terminated record per line.
pub fn write_extract<'a>(
    records: impl IntoIterator<Item = &'a IcrRecord>,
) -> Result<Vec<u8>, Vec<FieldError>> {
    let mut out = Vec::new();
    for (record, number) in records.into_iter().zip(1u64..) {
        let bytes = record.write().map_err(|errors| {
            errors
                .into_iter()
                .map(|e| e.with_record(number))
                .collect::<Vec<_>>()
        })?;
        out.extend_from_slice(&bytes);
        out.push(b'\n');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::date;

    const SAMPLE: &[u8] = include_bytes!("../samples/icr-extract-inbound.txt");

    fn record() -> IcrRecord {
        IcrRecord {
            case_id: "CA-0009001".into(),
            role: Role::Responding,
            fips: "06037".into(),
            fips_suffix: String::new(),
            ssn: Some(Ssn::parse("123456789").unwrap()),
            member_id: "M-1".into(),
            participant_type: ParticipantType::Child,
            case_status: CaseStatus::Open,
            last_name: "TESTCASE".into(),
            first_name: "ROBIN".into(),
            middle_name: String::new(),
            date_of_birth: Some(date!(2015 - 06 - 01)),
            sex: "F".into(),
            other_case_id: "MN-0009001".into(),
            other_fips: "2700000".into(),
            contact_name: "WORKER 17".into(),
            contact_phone: "9165550100".into(),
            contact_email: "worker17@example.org".into(),
        }
    }

    #[test]
    fn every_sample_record_reads_and_writes_back_byte_identical() {
        let extract = read_extract(SAMPLE);
        assert!(extract.is_valid(), "{:?}", extract.verdicts);
        assert_eq!(
            extract.records.len(),
            SAMPLE
                .split(|b| *b == b'\n')
                .filter(|l| !l.is_empty())
                .count()
        );
        let written = write_extract(extract.records.iter().map(|(_, r)| r)).unwrap();
        assert_eq!(written, SAMPLE);
    }

    #[test]
    fn a_record_round_trips_and_the_fields_are_where_the_spec_puts_them() {
        let bytes = record().write().unwrap();
        assert_eq!(bytes.len(), RECORD_LEN);
        assert_eq!(&bytes[0..10], b"CA-0009001");
        assert_eq!(bytes[15], b'R');
        assert_eq!(&bytes[23..32], b"123456789");
        assert_eq!(&bytes[47..50], b"CHO");
        assert_eq!(&bytes[121..131], b"MN-0009001");
        assert_eq!(&bytes[137..144], b"2700000");
        assert_eq!(IcrRecord::parse(&bytes).unwrap(), record());
    }

    #[test]
    fn bad_records_get_verdicts_with_record_field_position_and_code_and_the_good_ones_stay() {
        let good = record().write().unwrap();
        let mut bad = good.clone();
        bad[15] = b'X'; // role
        bad[23..32].copy_from_slice(b"000000000"); // SSN area 000
        bad[49] = b'Z'; // status
        let mut file = Vec::new();
        for rec in [&good, &bad, &good] {
            file.extend_from_slice(rec);
            file.extend_from_slice(b"\r\n");
        }
        file.extend_from_slice(b"SHORT");
        let extract = read_extract(&file);
        assert_eq!(
            extract.records.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
            vec![1, 3]
        );
        let second = &extract.verdicts[1];
        assert_eq!(second.record, 2);
        let found: Vec<(&str, Option<usize>, &str)> = second
            .errors
            .iter()
            .map(|e| (e.field.as_ref(), e.position, e.code.as_str()))
            .collect();
        assert!(
            found.contains(&("initiating_responding", Some(16), "INVALID_CODE")),
            "{found:?}"
        );
        assert!(
            found.contains(&("ssn", Some(24), "INVALID_SSN")),
            "{found:?}"
        );
        assert!(
            found.contains(&("case_status", Some(50), "INVALID_CODE")),
            "{found:?}"
        );
        let last = extract.verdicts.last().unwrap();
        assert_eq!(last.record, 4);
        assert!(!last.is_valid());
        // No message quotes a value.
        let line = second.to_json_line();
        assert!(!line.contains("000000000"), "{line}");
    }

    #[test]
    fn a_missing_other_state_and_a_value_too_long_are_refused_when_writing() {
        let mut r = record();
        r.other_fips = String::new();
        let errors = r.write().unwrap_err();
        assert_eq!(errors[0].code, INVALID_FIPS);
        let mut r = record();
        r.case_id = "X".repeat(16);
        assert_eq!(
            r.write().unwrap_err()[0].code,
            ivd_fixed::ErrorCode::TOO_LONG
        );
    }

    #[test]
    fn debug_masks_the_ssn_and_leaves_names_out() {
        let text = format!("{:?}", record());
        assert!(
            !text.contains("123456789") && !text.contains("TESTCASE") && !text.contains("ROBIN"),
            "{text}"
        );
        assert!(text.contains("***-**-6789"));
    }

    #[test]
    fn reason_codes_are_the_spec_list() {
        assert_eq!(
            ReasonCode::from_code("04"),
            Some(ReasonCode::OpenMatchesClosed)
        );
        assert_eq!(ReasonCode::CaseIdMismatch.code(), "02");
        assert_eq!(ReasonCode::from_code("11"), None);
    }

    proptest! {
        #[test]
        fn any_bytes_never_panic_and_every_record_gets_one_verdict(bytes in proptest::collection::vec(any::<u8>(), 0..1200)) {
            let extract = read_extract(&bytes);
            prop_assert!(extract.records.len() <= extract.verdicts.len());
            for v in &extract.verdicts {
                let _ = v.to_json_line();
            }
        }

        #[test]
        fn a_written_record_reads_back_the_same(
            ssn in ivd_model::testing::ssn(),
            case_id in "[A-Z0-9-]{1,15}",
            other in "[A-Z0-9-]{0,15}",
            last in "[A-Z' -]{0,30}",
            closed in any::<bool>(),
        ) {
            let mut r = record();
            r.ssn = Some(ssn);
            r.case_id = case_id.trim().to_string();
            prop_assume!(!r.case_id.is_empty());
            r.other_case_id = other.trim().to_string();
            r.last_name = last.trim().to_string();
            r.case_status = if closed { CaseStatus::Closed } else { CaseStatus::Open };
            let bytes = r.write().unwrap();
            prop_assert_eq!(IcrRecord::parse(&bytes).unwrap(), r);
        }
    }
}
