//! Code lists of the case model.
//!
//! Every enum has two spellings:
//!
//! - its **serde name**, readable camelCase (`"noncustodialParent"`, `"childSupport"`), used
//!   in the canonical JSON and listed in `schemas/case.schema.json`;
//! - its **external code** from [`code()`](CaseType::code) / [`from_code()`](CaseType::from_code),
//!   the short code used by IV-D systems (the case-model codes of
//!   `adapters/eiwo/README.md`; Kansas KESSEP codes where the spec has them). Codes marked *gateway-defined* have no published
//!   source and exist so every value has one.
//!
//! Partner formats whose code lists differ (CSENet case type `AF` means *foster care* there
//! but *TANF* in Kansas program codes) keep their own mapping table in their adapter; these
//! codes are the canonical ones, not any one partner's.

/// Declares a code list: a fieldless enum whose every value has one external code.
///
/// Generates the enum (deriving `Debug`, `Clone`, `Copy`, `PartialEq`, `Eq`, `Hash`,
/// `PartialOrd`, `Ord`), `ALL` (every value, in declaration order), `const fn code()`,
/// `from_code()` (exact, case-sensitive) and a `Display` that writes the code. A leading
/// `serde("camelCase");` (any `rename_all` case) also derives `serde::Serialize` and
/// `serde::Deserialize` with that renaming; the calling crate then depends on `serde`.
/// The one macro for the model's code lists and the adapters' (e-IWO, FIDM).
///
/// ```
/// ivd_model::code_enum! {
///     /// A traffic light.
///     Light {
///         /// Stop.
///         Red = "R",
///         /// Go.
///         Green = "G",
///     }
/// }
/// assert_eq!(Light::from_code("G"), Some(Light::Green));
/// assert_eq!(Light::Red.code(), "R");
/// assert_eq!(Light::ALL.len(), 2);
/// assert_eq!(Light::Green.to_string(), "G");
/// ```
#[macro_export]
macro_rules! code_enum {
    (
        serde($case:literal);
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $code:literal, )+
        }
    ) => {
        $crate::code_enum! {
            $(#[$meta])*
            #[derive(::serde::Serialize, ::serde::Deserialize)]
            #[serde(rename_all = $case)]
            $name {
                $( $(#[$vmeta])* $variant = $code, )+
            }
        }
    };
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $code:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The external code of this value.
            pub const fn code(self) -> &'static str {
                match self {
                    $($name::$variant => $code,)+
                }
            }

            /// The value whose external code is `code` (exact, case-sensitive match).
            pub fn from_code(code: &str) -> Option<Self> {
                match code {
                    $($code => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl ::core::fmt::Display for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(self.code())
            }
        }
    };
}

code_enum! {
    serde("camelCase");
    /// The IV-D case (program) type. Codes are the Kansas program codes (`AF` TANF,
    /// `NA` non-assistance, `MA` Medicaid, `FC` foster care); `TR` is gateway-defined.
    CaseType {
        /// Current assistance (TANF); support rights assigned to the state. `AF`.
        Tanf = "AF",
        /// Non-assistance (never or former assistance). `NA`.
        NonTanf = "NA",
        /// Medicaid-only: medical support services. `MA`.
        MedicaidOnly = "MA",
        /// A case of a Tribal IV-D program (`tribe` must be set). `TR`, gateway-defined.
        Tribal = "TR",
        /// Title IV-E foster care. `FC`.
        FosterCare = "FC",
    }
}

code_enum! {
    serde("camelCase");
    /// Case status (CSENet `O`/`C`).
    CaseStatus {
        /// Open. `O`.
        Open = "O",
        /// Closed. `C`.
        Closed = "C",
    }
}

code_enum! {
    serde("camelCase");
    /// The case's role in an intergovernmental (interstate, Tribal, international) case.
    /// `I`/`R` as in CSENet; `N` gateway-defined.
    IntergovernmentalRole {
        /// Not intergovernmental. `N`.
        None = "N",
        /// This state initiated the case with a partner. `I`.
        Initiating = "I",
        /// This state responds to a partner's case. `R`.
        Responding = "R",
    }
}

code_enum! {
    serde("camelCase");
    /// The role of a participant on a case (§2.2). Codes: Kansas case roles `AP`, `AR`,
    /// `CH`, AP parent types `AF`, `PF`; `CT` and `OT` gateway-defined.
    ParticipantRole {
        /// Noncustodial parent (absent parent, obligor). `AP`.
        NoncustodialParent = "AP",
        /// Custodial party (applicant/recipient, obligee). `AR`.
        CustodialParty = "AR",
        /// Dependent child. `CH`.
        Child = "CH",
        /// Alleged father (paternity not established). `AF`.
        AllegedFather = "AF",
        /// Putative father. `PF`.
        PutativeFather = "PF",
        /// Caretaker relative or other non-parent caretaker who has the child. `CT`.
        Caretaker = "CT",
        /// Any other participant. `OT`.
        Other = "OT",
    }
}

impl ParticipantRole {
    /// Custodial party or caretaker: the person the child lives with.
    pub fn is_custodial(self) -> bool {
        matches!(
            self,
            ParticipantRole::CustodialParty | ParticipantRole::Caretaker
        )
    }

    /// Noncustodial parent, alleged or putative father: the (possible) obligor.
    pub fn is_noncustodial(self) -> bool {
        matches!(
            self,
            ParticipantRole::NoncustodialParent
                | ParticipantRole::AllegedFather
                | ParticipantRole::PutativeFather
        )
    }

    /// The roles whose location a nondisclosure finding protects: custodial party,
    /// caretaker and child (§3.3, CSENet NONDISCLOSURE_FINDING: "the AR and children's address").
    pub fn is_custodial_household(self) -> bool {
        self.is_custodial() || self == ParticipantRole::Child
    }
}

code_enum! {
    serde("camelCase");
    /// Sex as recorded by the case system.
    Sex {
        /// Female. `F`.
        Female = "F",
        /// Male. `M`.
        Male = "M",
        /// Unknown or not recorded. `U`.
        Unknown = "U",
    }
}

code_enum! {
    serde("camelCase");
    /// Address type (§2.5).
    AddressKind {
        /// Where the person lives. `R`.
        Residential = "R",
        /// Where the person receives mail. `M`.
        Mailing = "M",
    }
}

code_enum! {
    serde("camelCase");
    /// Domestic or foreign address (§2.5 `D`/`F`).
    AddressScope {
        /// A US address (state and ZIP required). `D`.
        Domestic = "D",
        /// A foreign address (country required). `F`.
        Foreign = "F",
    }
}

code_enum! {
    serde("camelCase");
    /// Kind of phone number. Gateway-defined codes.
    PhoneKind {
        /// Home. `H`.
        Home = "H",
        /// Work. `W`.
        Work = "W",
        /// Mobile. `C`.
        Mobile = "C",
    }
}

code_enum! {
    serde("camelCase");
    /// Family violence indicator value (§3.3, Kansas FVI code table).
    FviCode {
        /// A protective order was issued. `P`.
        ProtectiveOrder = "P",
        /// Child abuse suspected. `C`.
        ChildAbuse = "C",
        /// Domestic violence suspected. `D`.
        DomesticViolence = "D",
    }
}

code_enum! {
    serde("camelCase");
    /// Who set a family violence indicator (§3.3 rule 1). Gateway-defined codes.
    FviSource {
        /// The owning state's case system. `S`.
        State = "S",
        /// The Federal Case Registry. `F`.
        Fcr = "F",
        /// A tribunal (court or administrative order). `T`.
        Tribunal = "T",
    }
}

code_enum! {
    serde("camelCase");
    /// Obligation type (§2.3). Codes as seen in Kansas KESSEP.
    ObligationType {
        /// Current child support. `CS`.
        ChildSupport = "CS",
        /// Medical support. `MS`.
        MedicalSupport = "MS",
        /// Spousal support. `SP`.
        SpousalSupport = "SP",
        /// Medical costs. `MC`.
        MedicalCosts = "MC",
        /// Arrears judgment. `AJ`.
        ArrearsJudgment = "AJ",
        /// Medical judgment. `MJ`.
        MedicalJudgment = "MJ",
        /// Spousal arrears judgment. `SAJ`.
        SpousalArrearsJudgment = "SAJ",
        /// Interest judgment. `IJ`.
        InterestJudgment = "IJ",
        /// Child care. `CRCH`.
        ChildCare = "CRCH",
        /// Health-insurance coverage. `HIC`.
        HealthInsuranceCoverage = "HIC",
        /// Fee. `FEE`.
        Fee = "FEE",
        /// Voluntary support. `VOL`.
        Voluntary = "VOL",
    }
}

code_enum! {
    serde("camelCase");
    /// Payment frequency (§2.3).
    Frequency {
        /// Weekly. `W`.
        Weekly = "W",
        /// Every two weeks. `BW`.
        Biweekly = "BW",
        /// Twice a month. `SM`.
        Semimonthly = "SM",
        /// Monthly. `M`.
        Monthly = "M",
        /// Every two months. `BM`.
        Bimonthly = "BM",
    }
}

code_enum! {
    serde("camelCase");
    /// Arrears bucket (§2.4; NIEM `hs:ChildSupportTANFArrearsAmount`,
    /// `hs:ChildSupportNonTANFArrearsAmount`, `hs:ChildSupportFeesAmount`). Gateway-defined
    /// codes.
    ArrearsType {
        /// Arrears assigned to the state under TANF (or IV-E). `TANF`.
        Tanf = "TANF",
        /// Arrears owed to the family. `NTANF`.
        NonTanf = "NTANF",
        /// Interest on arrears. `INT`.
        Interest = "INT",
        /// Fees owed. `FEE`.
        Fees = "FEE",
        /// Recovery debts (overpayments, genetic-test costs). `REC`.
        Recovery = "REC",
    }
}

code_enum! {
    serde("camelCase");
    /// Source of a collection (§2.4). Gateway-defined codes.
    CollectionType {
        /// Regular payment through the state disbursement unit. `P`.
        Payment = "P",
        /// Income withholding (IWO/e-IWO). `I`.
        IncomeWithholding = "I",
        /// Federal tax refund offset. `F`.
        FederalTaxOffset = "F",
        /// State tax refund offset. `S`.
        StateTaxOffset = "S",
        /// Unemployment insurance intercept. `U`.
        UnemploymentIntercept = "U",
        /// Financial institution levy (FIDM). `L`.
        FinancialInstitutionLevy = "L",
        /// Direct payment to the custodial party, reported. `D`.
        DirectPay = "D",
        /// Anything else. `O`.
        Other = "O",
    }
}

code_enum! {
    serde("camelCase");
    /// Kind of partner jurisdiction.
    JurisdictionKind {
        /// A US state or territory. `S`.
        State = "S",
        /// A Tribal IV-D program. `T`.
        Tribe = "T",
        /// A foreign country. `C`.
        Country = "C",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip<T: Copy + PartialEq + core::fmt::Debug>(
        all: &[T],
        code: fn(T) -> &'static str,
        from: fn(&str) -> Option<T>,
    ) {
        let mut seen = std::collections::HashSet::new();
        for &v in all {
            assert!(seen.insert(code(v)), "duplicate code {}", code(v));
            assert_eq!(from(code(v)), Some(v));
        }
        assert_eq!(from("??"), None);
        assert_eq!(from(""), None);
    }

    #[test]
    fn codes_roundtrip_and_are_unique() {
        roundtrip(CaseType::ALL, CaseType::code, CaseType::from_code);
        roundtrip(CaseStatus::ALL, CaseStatus::code, CaseStatus::from_code);
        roundtrip(
            IntergovernmentalRole::ALL,
            IntergovernmentalRole::code,
            IntergovernmentalRole::from_code,
        );
        roundtrip(
            ParticipantRole::ALL,
            ParticipantRole::code,
            ParticipantRole::from_code,
        );
        roundtrip(Sex::ALL, Sex::code, Sex::from_code);
        roundtrip(AddressKind::ALL, AddressKind::code, AddressKind::from_code);
        roundtrip(
            AddressScope::ALL,
            AddressScope::code,
            AddressScope::from_code,
        );
        roundtrip(PhoneKind::ALL, PhoneKind::code, PhoneKind::from_code);
        roundtrip(FviCode::ALL, FviCode::code, FviCode::from_code);
        roundtrip(FviSource::ALL, FviSource::code, FviSource::from_code);
        roundtrip(
            ObligationType::ALL,
            ObligationType::code,
            ObligationType::from_code,
        );
        roundtrip(Frequency::ALL, Frequency::code, Frequency::from_code);
        roundtrip(ArrearsType::ALL, ArrearsType::code, ArrearsType::from_code);
        roundtrip(
            CollectionType::ALL,
            CollectionType::code,
            CollectionType::from_code,
        );
        roundtrip(
            JurisdictionKind::ALL,
            JurisdictionKind::code,
            JurisdictionKind::from_code,
        );
    }

    #[test]
    fn spec_codes() {
        assert_eq!(ObligationType::ChildSupport.code(), "CS");
        assert_eq!(
            ObligationType::from_code("SAJ"),
            Some(ObligationType::SpousalArrearsJudgment)
        );
        assert_eq!(Frequency::from_code("BW"), Some(Frequency::Biweekly));
        assert_eq!(Frequency::Semimonthly.code(), "SM");
        assert_eq!(FviCode::from_code("P"), Some(FviCode::ProtectiveOrder));
        assert_eq!(
            ParticipantRole::from_code("AP"),
            Some(ParticipantRole::NoncustodialParent)
        );
    }

    #[test]
    fn serde_names_are_camel_case() {
        assert_eq!(
            serde_json::to_string(&CaseType::NonTanf).unwrap(),
            "\"nonTanf\""
        );
        assert_eq!(
            serde_json::to_string(&IntergovernmentalRole::None).unwrap(),
            "\"none\""
        );
        assert_eq!(
            serde_json::from_str::<ParticipantRole>("\"noncustodialParent\"").unwrap(),
            ParticipantRole::NoncustodialParent
        );
        assert!(serde_json::from_str::<ParticipantRole>("\"AP\"").is_err());
    }

    #[test]
    fn role_groups() {
        use ParticipantRole::*;
        assert!(CustodialParty.is_custodial() && Caretaker.is_custodial());
        assert!(Child.is_custodial_household() && !Child.is_custodial());
        assert!(
            NoncustodialParent.is_noncustodial()
                && AllegedFather.is_noncustodial()
                && PutativeFather.is_noncustodial()
        );
        assert!(!Other.is_custodial_household() && !Other.is_noncustodial());
    }
}
