use super::string_newtype;
use crate::IdError;
use core::fmt;

/// The IV-D case identifier the state reports to the FCR and sends on CSENet and e-IWO.
///
/// 1–15 characters (the e-IWO and CSENet case id field is 15), each an upper-case letter
/// `A`–`Z`, a digit or `-`. That alphabet also enforces the e-IWO rules "no leading spaces,
/// no `\` or `*`". Nothing is trimmed or upper-cased for you: a partner value that needs
/// normalizing is the adapter's decision.
///
/// A case id is not masked: it identifies a case file, not a person, and operators need it
/// in logs and reports to find the case. (It must never be built from an SSN; states that
/// once did so have moved away from it.)
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CaseId(compact_str::CompactString);

impl CaseId {
    /// Maximum length in characters.
    pub const MAX_LEN: usize = 15;

    /// Parses a case id.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        if s.is_empty() {
            return Err(IdError::CaseIdLength);
        }
        if !s
            .bytes()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'-')
        {
            return Err(IdError::CaseIdChars);
        }
        if s.len() > Self::MAX_LEN {
            return Err(IdError::CaseIdLength);
        }
        Ok(CaseId(s.into()))
    }

    /// The case id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_newtype!(CaseId, as_str, "case id");

impl fmt::Display for CaseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for CaseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CaseId({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length() {
        assert_eq!(CaseId::parse(""), Err(IdError::CaseIdLength));
        assert!(CaseId::parse("A").is_ok());
        assert!(CaseId::parse("123456789012345").is_ok());
        assert_eq!(
            CaseId::parse("1234567890123456"),
            Err(IdError::CaseIdLength)
        );
    }

    #[test]
    fn characters() {
        for good in ["MN-0001234", "0000123456", "ABC-DEF-123", "-", "Z9"] {
            assert!(CaseId::parse(good).is_ok(), "{good}");
        }
        for bad in [
            " MN1", "MN 1", "mn1", "MN\\1", "MN*1", "MN_1", "MN.1", "MN1 ", "MÉ1", "\t1",
        ] {
            assert_eq!(CaseId::parse(bad), Err(IdError::CaseIdChars), "{bad:?}");
        }
    }

    #[test]
    fn clear_display() {
        let id = CaseId::parse("MN-0001234").unwrap();
        assert_eq!(id.to_string(), "MN-0001234");
        assert_eq!(format!("{id:?}"), "CaseId(MN-0001234)");
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"MN-0001234\"");
        assert!(serde_json::from_str::<CaseId>("\"mn-1\"").is_err());
    }
}
