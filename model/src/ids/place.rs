use super::string_newtype;
use crate::IdError;
use core::fmt;

/// USPS codes of the states, DC, the territories, the freely associated states and the
/// military "states" (AA, AE, AP).
const USPS_STATES: &[&str] = &[
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA",
    "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM",
    "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA",
    "WV", "WI", "WY", "AS", "GU", "MP", "PR", "VI", "FM", "MH", "PW", "AA", "AE", "AP",
];

/// `USPS_STATES` as a table: bit `c - 'A'` of row `r - 'A'` is set for code `rc`.
const KNOWN_PAIRS: [u32; 26] = {
    let mut rows = [0u32; 26];
    let mut i = 0;
    while i < USPS_STATES.len() {
        let code = USPS_STATES[i].as_bytes();
        assert!(code.len() == 2 && code[0].is_ascii_uppercase() && code[1].is_ascii_uppercase());
        rows[(code[0] - b'A') as usize] |= 1 << (code[1] - b'A');
        i += 1;
    }
    rows
};

/// A USPS 2-letter state code: the 50 states, `DC`, `AS`, `GU`, `MP`, `PR`, `VI`, the
/// freely associated states `FM`, `MH`, `PW`, and military `AA`, `AE`, `AP`.
/// Not masked: a state alone does not locate a person.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StateCode([u8; 2]);

impl StateCode {
    /// Parses an upper-case USPS code.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        // A bit-table look-up: scanning the list was a measurable part of translating
        // an interstate transaction (one per address).
        let [first, second] = *s.as_bytes() else {
            return Err(IdError::StateCode);
        };
        let known = match (first.checked_sub(b'A'), second.checked_sub(b'A')) {
            (Some(row), Some(column)) if column < 26 => KNOWN_PAIRS
                .get(usize::from(row))
                .is_some_and(|bits| bits & (1 << column) != 0),
            _ => false,
        };
        if !known {
            return Err(IdError::StateCode);
        }
        Ok(StateCode([first, second]))
    }

    /// The 2 letters.
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(&self.0).unwrap_or("??")
    }

    /// Every accepted code.
    pub fn all() -> impl Iterator<Item = StateCode> {
        USPS_STATES.iter().map(|s| {
            let b = s.as_bytes();
            StateCode([b[0], b[1]])
        })
    }
}

string_newtype!(StateCode, as_str, "state code");

impl fmt::Display for StateCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for StateCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StateCode({})", self.as_str())
    }
}

/// A 2-letter country code for foreign addresses and jurisdictions (the code system is the
/// partner format's: FIPS 10-4 for federal files; adapters map). Only the shape is checked:
/// 2 upper-case ASCII letters. Not masked.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CountryCode([u8; 2]);

impl CountryCode {
    /// Parses 2 upper-case letters.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let b = s.as_bytes();
        if b.len() != 2 || !b.iter().all(u8::is_ascii_uppercase) {
            return Err(IdError::CountryCode);
        }
        Ok(CountryCode([b[0], b[1]]))
    }

    /// The 2 letters.
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(&self.0).unwrap_or("??")
    }

    /// Whether this is `US` (never a valid country for a foreign address).
    pub fn is_us(&self) -> bool {
        &self.0 == b"US"
    }
}

string_newtype!(CountryCode, as_str, "country code");

impl fmt::Display for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CountryCode({})", self.as_str())
    }
}

/// A US ZIP code: 5 digits or ZIP+4. Accepts `55101`, `55101-1234` and `551011234`;
/// stores and serializes `55101` or `55101-1234`.
///
/// Part of an address, so masked: `Debug`/`Display` keep the 3-digit sectional center only
/// (`551**`, `551**-****`). Read it with [`expose`](ZipCode::expose).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ZipCode(compact_str::CompactString);

impl ZipCode {
    /// Parses a ZIP or ZIP+4.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let b = s.as_bytes();
        let digits = |x: &[u8]| x.iter().all(u8::is_ascii_digit);
        match b.len() {
            5 if digits(b) => Ok(ZipCode(s.into())),
            9 if digits(b) => Ok(ZipCode(compact_str::format_compact!(
                "{}-{}",
                &s[..5],
                &s[5..]
            ))),
            10 if digits(&b[..5]) && b[5] == b'-' && digits(&b[6..]) => Ok(ZipCode(s.into())),
            _ => Err(IdError::ZipFormat),
        }
    }

    /// The clear ZIP (`55101` or `55101-1234`). The only accessor that reveals it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The 5-digit ZIP without the +4.
    pub fn zip5(&self) -> &str {
        &self.0[..5]
    }

    /// The +4 part, if any.
    pub fn plus4(&self) -> Option<&str> {
        self.0.get(6..)
    }
}

string_newtype!(ZipCode, expose, "ZIP code");

impl fmt::Display for ZipCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}**", &self.0[..3])?;
        if self.0.len() > 5 {
            f.write_str("-****")?;
        }
        Ok(())
    }
}

impl fmt::Debug for ZipCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ZipCode({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_codes() {
        for good in ["MN", "DC", "PR", "GU", "VI", "AS", "MP", "AE"] {
            assert_eq!(StateCode::parse(good).unwrap().as_str(), good);
        }
        for bad in ["", "mn", "M", "MNN", "XX", "US", "ZZ"] {
            assert_eq!(StateCode::parse(bad), Err(IdError::StateCode), "{bad:?}");
        }
        assert_eq!(StateCode::all().count(), 62);
        for code in StateCode::all() {
            assert_eq!(StateCode::parse(code.as_str()), Ok(code));
        }
    }

    #[test]
    fn the_bit_table_accepts_exactly_the_listed_codes_of_every_two_bytes() {
        for first in 0..=u8::MAX {
            for second in 0..=u8::MAX {
                let bytes = [first, second];
                let Ok(text) = std::str::from_utf8(&bytes) else {
                    continue;
                };
                assert_eq!(
                    StateCode::parse(text).is_ok(),
                    USPS_STATES.contains(&text),
                    "{text:?}"
                );
            }
        }
    }

    #[test]
    fn country_codes() {
        assert!(CountryCode::parse("CA").is_ok());
        assert!(CountryCode::parse("US").unwrap().is_us());
        for bad in ["", "ca", "CAN", "C1"] {
            assert_eq!(
                CountryCode::parse(bad),
                Err(IdError::CountryCode),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn zip() {
        assert_eq!(ZipCode::parse("55101").unwrap().expose(), "55101");
        assert_eq!(ZipCode::parse("551011234").unwrap().expose(), "55101-1234");
        let z = ZipCode::parse("55101-1234").unwrap();
        assert_eq!((z.zip5(), z.plus4()), ("55101", Some("1234")));
        assert_eq!(ZipCode::parse("55101").unwrap().plus4(), None);
        for bad in [
            "",
            "5510",
            "551011",
            "55101-123",
            "55101 1234",
            "5510a",
            "55101-12345",
        ] {
            assert_eq!(ZipCode::parse(bad), Err(IdError::ZipFormat), "{bad:?}");
        }
        assert_eq!(z.to_string(), "551**-****");
        assert_eq!(
            format!("{:?}", ZipCode::parse("55101").unwrap()),
            "ZipCode(551**)"
        );
        assert!(!format!("{z:?}{z}").contains("55101"));
    }
}
