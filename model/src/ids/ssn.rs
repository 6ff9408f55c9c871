use super::{digits_with_optional_dashes, string_newtype};
use crate::IdError;
use core::fmt;

/// A Social Security Number that passed the SSA structural rules (POMS RM 10201.035).
///
/// - 9 digits, written `123456789` or `123-45-6789`;
/// - area (digits 1–3) not `000`, `666` or `900`–`999` (this also rejects ITINs and the
///   `987-65-432x` advertising range);
/// - group (digits 4–5) not `00`; serial (digits 6–9) not `0000`.
///
/// Since the 2011 randomization there is no "highest group" check. `Debug` and `Display` print
/// `***-**-6789`; [`expose`](Ssn::expose) is the only way to read the digits (serialization
/// writes them too, because the JSON is a wire format, not a log).
///
/// ```
/// use ivd_model::Ssn;
/// let ssn: Ssn = "123-45-6789".parse()?;
/// assert_eq!(ssn.to_string(), "***-**-6789");
/// assert_eq!(ssn.expose(), "123456789");
/// assert_eq!(Ssn::parse("666-12-3456").unwrap_err().code(), "SSN_AREA");
/// # Ok::<(), ivd_model::IdError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ssn(compact_str::CompactString);

impl Ssn {
    /// Parses `ddddddddd` or `ddd-dd-dddd`. No spaces, no other separators.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let digits = digits_with_optional_dashes(s, 9, &[3, 6]).ok_or(IdError::SsnFormat)?;
        // Nine ASCII digits: the parts are compared as bytes, without `str` slicing.
        let [a0, a1, a2, g0, g1, s0, s1, s2, s3] = *digits.as_bytes() else {
            return Err(IdError::SsnFormat);
        };
        if [a0, a1, a2] == *b"000" || [a0, a1, a2] == *b"666" || a0 == b'9' {
            return Err(IdError::SsnArea);
        }
        if [g0, g1] == *b"00" {
            return Err(IdError::SsnGroup);
        }
        if [s0, s1, s2, s3] == *b"0000" {
            return Err(IdError::SsnSerial);
        }
        Ok(Ssn(digits))
    }

    /// The clear 9 digits, without hyphens. The only accessor that reveals the SSN: call it
    /// where the number must be written (a partner record, an encrypted column), never for logs.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The last 4 digits, the part that is shown in masked form and commonly used to confirm
    /// an identity with the person.
    pub fn last4(&self) -> &str {
        &self.0[5..]
    }
}

string_newtype!(Ssn, expose, "SSN");

impl fmt::Display for Ssn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "***-**-{}", self.last4())
    }
}

impl fmt::Debug for Ssn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ssn(***-**-{})", self.last4())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The rules as they were written with `str` slices: the reference for the byte
    /// comparisons of `Ssn::parse`.
    fn plain(s: &str) -> Result<Ssn, IdError> {
        let digits = digits_with_optional_dashes(s, 9, &[3, 6]).ok_or(IdError::SsnFormat)?;
        let area = &digits[0..3];
        if area == "000" || area == "666" || area.starts_with('9') {
            return Err(IdError::SsnArea);
        }
        if &digits[3..5] == "00" {
            return Err(IdError::SsnGroup);
        }
        if &digits[5..9] == "0000" {
            return Err(IdError::SsnSerial);
        }
        Ok(Ssn(digits))
    }

    proptest! {
        #[test]
        fn parse_answers_like_the_plain_rules(s in "[0169-]{0,12}|[0-9]{3}-?[0-9]{2}-?[0-9]{4}") {
            prop_assert_eq!(Ssn::parse(&s), plain(&s));
        }
    }

    #[test]
    fn accepts_plain_and_dashed() {
        assert_eq!(Ssn::parse("123456789").unwrap().expose(), "123456789");
        assert_eq!(Ssn::parse("123-45-6789").unwrap().expose(), "123456789");
        assert_eq!(
            Ssn::parse("123-45-6789").unwrap(),
            Ssn::parse("123456789").unwrap()
        );
    }

    #[test]
    fn format_rule() {
        for bad in [
            "",
            "12345678",
            "1234567890",
            "123 45 6789",
            "123-456789",
            "12345-6789",
            "123-45-678",
            "12a456789",
            "123_45_6789",
            " 123456789",
            "123456789 ",
            "１２３456789",
            "123--456789",
        ] {
            assert_eq!(Ssn::parse(bad), Err(IdError::SsnFormat), "{bad:?}");
        }
    }

    #[test]
    fn area_rule() {
        for bad in [
            "000-12-3456",
            "666-12-3456",
            "900-12-3456",
            "987-65-4321",
            "999-99-9999",
        ] {
            assert_eq!(Ssn::parse(bad), Err(IdError::SsnArea), "{bad}");
        }
        for good in [
            "001-01-0001",
            "665-12-3456",
            "667-12-3456",
            "899-12-3456",
            "734-12-3456",
        ] {
            assert!(Ssn::parse(good).is_ok(), "{good}");
        }
    }

    #[test]
    fn group_rule() {
        assert_eq!(Ssn::parse("123-00-6789"), Err(IdError::SsnGroup));
        assert!(Ssn::parse("123-01-6789").is_ok());
    }

    #[test]
    fn serial_rule() {
        assert_eq!(Ssn::parse("123-45-0000"), Err(IdError::SsnSerial));
        assert!(Ssn::parse("123-45-0001").is_ok());
    }

    #[test]
    fn codes_are_stable() {
        assert_eq!(IdError::SsnFormat.code(), "SSN_FORMAT");
        assert_eq!(IdError::SsnArea.code(), "SSN_AREA");
        assert_eq!(IdError::SsnGroup.code(), "SSN_GROUP");
        assert_eq!(IdError::SsnSerial.code(), "SSN_SERIAL");
    }

    #[test]
    fn masked_in_debug_and_display() {
        let ssn = Ssn::parse("123-45-6789").unwrap();
        assert_eq!(format!("{ssn}"), "***-**-6789");
        assert_eq!(format!("{ssn:?}"), "Ssn(***-**-6789)");
        for out in [
            format!("{ssn}"),
            format!("{ssn:?}"),
            format!("{ssn:#?}"),
            format!("{:?}", Some(&ssn)),
        ] {
            assert!(!out.contains("123456789"));
            assert!(!out.contains("123-45"));
            assert!(!out.contains("12345"));
        }
    }

    #[test]
    fn errors_never_contain_the_value() {
        for bad in ["666-12-3456", "123-00-6789", "12x"] {
            let e = Ssn::parse(bad).unwrap_err();
            assert!(!e.to_string().contains(bad));
            assert!(!format!("{e:?}").contains(bad));
        }
    }

    #[test]
    fn serde_goes_through_parse() {
        let ssn: Ssn = serde_json::from_str("\"123-45-6789\"").unwrap();
        assert_eq!(serde_json::to_string(&ssn).unwrap(), "\"123456789\"");
        let err = serde_json::from_str::<Ssn>("\"666-12-3456\"")
            .unwrap_err()
            .to_string();
        assert!(err.contains("SSN_AREA"), "{err}");
        assert!(!err.contains("3456"), "{err}");
        // A number instead of a string: serde would normally echo it; ours does not.
        let err = serde_json::from_str::<Ssn>("123456789")
            .unwrap_err()
            .to_string();
        assert!(!err.contains("123456789"), "{err}");
    }

    #[test]
    fn from_str_and_try_from() {
        let a: Ssn = "123456789".parse().unwrap();
        let b = Ssn::try_from(String::from("123-45-6789")).unwrap();
        let c = Ssn::try_from("123456789").unwrap();
        assert_eq!(a, b);
        assert_eq!(b, c);
        assert_eq!(a.last4(), "6789");
    }
}
