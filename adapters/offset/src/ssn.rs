//! The SSN field of the federal files: 9 digits, masked when printed.

use std::fmt;

use ivd_model::Ssn;
use serde::{Deserialize, Serialize};

/// The 9-digit SSN field of the offset records (E-1 / F-1 / F-4 / F-6 positions of the SSN).
///
/// **Why not [`ivd_model::Ssn`]:** the E-1 chart allows an **ITIN** in the SSN field \[V\],
/// and the model's `Ssn` rejects ITINs (area 9xx) by design; and OCSE's return files echo
/// whatever is on its master file, including an SSN it rejected with error 02. So this
/// type holds any 9 digits, and the E-1 rule is a separate check,
/// [`is_certifiable`](OffsetSsn::is_certifiable) (a structurally valid SSN or ITIN), that
/// the E-1 reader and writer apply. Converting from a model `Ssn` always works
/// ([`From<&Ssn>`]); back only when it is an SSN ([`to_ssn`](OffsetSsn::to_ssn)).
///
/// `Debug` and `Display` print `***-**-6789`; [`expose`](OffsetSsn::expose) returns the
/// digits; serde writes the digits (the JSON is a wire format, not a log).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OffsetSsn(String);

/// What the 9 digits of an [`OffsetSsn`] are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaxIdKind {
    /// A structurally valid SSN (the rules of [`ivd_model::Ssn`]).
    Ssn,
    /// An ITIN: `9` first, group (digits 4–5) in 50–65, 70–88, 90–92 or 94–99.
    Itin,
    /// Neither.
    Invalid,
}

/// The value is not 9 digits (`ddddddddd` or `ddd-dd-dddd`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("an SSN field is 9 digits")]
pub struct SsnFormatError;

impl OffsetSsn {
    /// Parses 9 digits, with or without the dashes of `ddd-dd-dddd`.
    pub fn parse(s: &str) -> Result<Self, SsnFormatError> {
        let b = s.as_bytes();
        let digits: String = match b.len() {
            9 => s.to_owned(),
            11 if b[3] == b'-' && b[6] == b'-' => [&s[..3], &s[4..6], &s[7..]].concat(),
            _ => return Err(SsnFormatError),
        };
        if digits.len() == 9 && digits.bytes().all(|c| c.is_ascii_digit()) {
            Ok(OffsetSsn(digits))
        } else {
            Err(SsnFormatError)
        }
    }

    /// The clear 9 digits: only where the number is written to a partner record.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The last 4 digits.
    pub fn last4(&self) -> &str {
        &self.0[5..]
    }

    /// SSN, ITIN or neither.
    pub fn kind(&self) -> TaxIdKind {
        if Ssn::parse(&self.0).is_ok() {
            return TaxIdKind::Ssn;
        }
        let group: u8 = self.0[3..5].parse().unwrap_or(0);
        let itin_group = matches!(group, 50..=65 | 70..=88 | 90..=92 | 94..=99);
        if self.0.starts_with('9') && itin_group {
            TaxIdKind::Itin
        } else {
            TaxIdKind::Invalid
        }
    }

    /// Whether the E-1 accepts it: "numeric, > 0, a valid SSN or ITIN" \[V\].
    pub fn is_certifiable(&self) -> bool {
        self.kind() != TaxIdKind::Invalid
    }

    /// The model SSN, when these digits are one.
    pub fn to_ssn(&self) -> Option<Ssn> {
        Ssn::parse(&self.0).ok()
    }
}

impl From<&Ssn> for OffsetSsn {
    fn from(ssn: &Ssn) -> Self {
        OffsetSsn(ssn.expose().to_owned())
    }
}

impl From<Ssn> for OffsetSsn {
    fn from(ssn: Ssn) -> Self {
        OffsetSsn::from(&ssn)
    }
}

impl std::str::FromStr for OffsetSsn {
    type Err = SsnFormatError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        OffsetSsn::parse(s)
    }
}

impl fmt::Display for OffsetSsn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "***-**-{}", self.last4())
    }
}

impl fmt::Debug for OffsetSsn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OffsetSsn(***-**-{})", self.last4())
    }
}

impl Serialize for OffsetSsn {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for OffsetSsn {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        OffsetSsn::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ssn_and_itin_and_masks() {
        let s = OffsetSsn::parse("234-56-7890").unwrap();
        assert_eq!(s.expose(), "234567890");
        assert_eq!(s.kind(), TaxIdKind::Ssn);
        assert_eq!(format!("{s} {s:?}"), "***-**-7890 OffsetSsn(***-**-7890)");
        let itin = OffsetSsn::parse("912701234").unwrap();
        assert_eq!(itin.kind(), TaxIdKind::Itin);
        assert!(itin.is_certifiable() && itin.to_ssn().is_none());
    }

    #[test]
    fn rejects_bad_shapes_and_flags_invalid_numbers() {
        for bad in [
            "",
            "12345678",
            "1234567890",
            "12345678X",
            "123 45 6789",
            "123-456789",
        ] {
            assert!(OffsetSsn::parse(bad).is_err(), "{bad:?}");
        }
        for invalid in [
            "000000000",
            "666123456",
            "123006789",
            "123450000",
            "912401234",
        ] {
            assert_eq!(
                OffsetSsn::parse(invalid).unwrap().kind(),
                TaxIdKind::Invalid
            );
        }
    }

    #[test]
    fn from_model_and_serde() {
        let m = Ssn::parse("123456789").unwrap();
        let s = OffsetSsn::from(&m);
        assert_eq!(s.to_ssn(), Some(m));
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"123456789\"");
        assert!(serde_json::from_str::<OffsetSsn>("\"12345\"").is_err());
    }
}
