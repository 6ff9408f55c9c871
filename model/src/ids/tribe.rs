use super::string_newtype;
use crate::IdError;
use core::fmt;

/// A Tribal IV-D program code: 3–10 upper-case letters or digits, as assigned in the
/// gateway's Tribe exchange agreements (there is no single federal code list with a fixed
/// width, so the rule is deliberately loose). Not personal data: printed in clear.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TribeCode(compact_str::CompactString);

impl TribeCode {
    /// Parses a Tribe code.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let ok = (3..=10).contains(&s.len())
            && s.bytes()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
        if ok {
            Ok(TribeCode(s.into()))
        } else {
            Err(IdError::TribeCode)
        }
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_newtype!(TribeCode, as_str, "Tribe code");

impl fmt::Display for TribeCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for TribeCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TribeCode({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules() {
        for good in ["ABC", "T0123", "ABCDEFGHIJ", "123"] {
            assert!(TribeCode::parse(good).is_ok(), "{good}");
        }
        for bad in ["", "AB", "ABCDEFGHIJK", "abc", "AB-C", "AB C", " ABC"] {
            assert_eq!(TribeCode::parse(bad), Err(IdError::TribeCode), "{bad:?}");
        }
        assert_eq!(TribeCode::parse("T0123").unwrap().to_string(), "T0123");
    }
}
