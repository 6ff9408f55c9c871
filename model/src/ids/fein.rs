use super::{digits_with_optional_dashes, string_newtype};
use crate::IdError;
use core::fmt;

/// A Federal Employer Identification Number with a prefix the IRS has issued.
///
/// 9 digits, written `123456789` or `12-3456789`. There is no check digit; the only rule is
/// the 2-digit campus/Internet prefix (IRS "Valid EIN prefixes"):
/// valid are 01–06, 10–16, 20–27, 30–48, 50–68, 71–77, 80–88, 90–95, 98, 99.
/// Passing the check shows the number is plausible, not that it was issued.
///
/// A FEIN is not a person's SSN, but a sole proprietor's business can be traced to them and
/// FEINs are federal tax information in the offset and FIDM files, so `Debug` and `Display`
/// show only the last 4 digits: `**-***6789`. Read the clear value with
/// [`expose`](Fein::expose).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fein(compact_str::CompactString);

/// Whether the 2-digit prefix `p` (0–99) is a valid EIN prefix.
pub(crate) fn valid_fein_prefix(p: u8) -> bool {
    matches!(p, 1..=6 | 10..=16 | 20..=27 | 30..=48 | 50..=68 | 71..=77 | 80..=88 | 90..=95 | 98 | 99)
}

impl Fein {
    /// Parses `ddddddddd` or `dd-ddddddd`.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let digits = digits_with_optional_dashes(s, 9, &[2]).ok_or(IdError::FeinFormat)?;
        let b = digits.as_bytes();
        let prefix = (b[0] - b'0') * 10 + (b[1] - b'0');
        if !valid_fein_prefix(prefix) {
            return Err(IdError::FeinPrefix);
        }
        Ok(Fein(digits))
    }

    /// The clear 9 digits, without the hyphen. The only accessor that reveals the FEIN.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The 2-digit IRS prefix.
    pub fn prefix(&self) -> &str {
        &self.0[..2]
    }
}

string_newtype!(Fein, expose, "FEIN");

impl fmt::Display for Fein {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "**-***{}", &self.0[5..])
    }
}

impl fmt::Debug for Fein {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fein(**-***{})", &self.0[5..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALID: &[u8] = &[
        1, 2, 3, 4, 5, 6, 10, 11, 12, 13, 14, 15, 16, 20, 21, 22, 23, 24, 25, 26, 27, 30, 31, 32,
        33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 50, 51, 52, 53, 54, 55, 56,
        57, 58, 59, 60, 61, 62, 63, 64, 65, 66, 67, 68, 71, 72, 73, 74, 75, 76, 77, 80, 81, 82, 83,
        84, 85, 86, 87, 88, 90, 91, 92, 93, 94, 95, 98, 99,
    ];
    const INVALID: &[u8] = &[
        0, 7, 8, 9, 17, 18, 19, 28, 29, 49, 69, 70, 78, 79, 89, 96, 97,
    ];

    #[test]
    fn every_prefix_is_classified_as_documented() {
        assert_eq!(VALID.len() + INVALID.len(), 100);
        for &p in VALID {
            let s = format!("{p:02}-3456789");
            assert!(Fein::parse(&s).is_ok(), "{s}");
        }
        for &p in INVALID {
            let s = format!("{p:02}3456789");
            assert_eq!(Fein::parse(&s), Err(IdError::FeinPrefix), "{s}");
        }
    }

    #[test]
    fn format_rule() {
        for bad in [
            "",
            "12345678",
            "1234567890",
            "123-456789",
            "12 3456789",
            "1a3456789",
            "12-345-6789",
        ] {
            assert_eq!(Fein::parse(bad), Err(IdError::FeinFormat), "{bad:?}");
        }
        assert_eq!(Fein::parse("12-3456789").unwrap().expose(), "123456789");
        assert_eq!(Fein::parse("123456789").unwrap().prefix(), "12");
    }

    #[test]
    fn masked() {
        let fein = Fein::parse("12-3456789").unwrap();
        assert_eq!(fein.to_string(), "**-***6789");
        assert_eq!(format!("{fein:?}"), "Fein(**-***6789)");
        assert!(!format!("{fein:?}{fein}").contains("12345"));
    }

    #[test]
    fn serde() {
        let fein: Fein = serde_json::from_str("\"12-3456789\"").unwrap();
        assert_eq!(serde_json::to_string(&fein).unwrap(), "\"123456789\"");
        let err = serde_json::from_str::<Fein>("\"07-3456789\"")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("FEIN_PREFIX") && !err.contains("3456789"),
            "{err}"
        );
    }
}
