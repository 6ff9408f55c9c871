use super::string_newtype;
use crate::IdError;
use core::fmt;

/// State and territory FIPS codes (FIPS 5-2) that a IV-D partner can have: the 50 states,
/// DC, American Samoa (60), Guam (66), Northern Mariana Islands (69), Puerto Rico (72) and
/// the Virgin Islands (78).
const STATE_FIPS: &[&str] = &[
    "01", "02", "04", "05", "06", "08", "09", "10", "11", "12", "13", "15", "16", "17", "18", "19",
    "20", "21", "22", "23", "24", "25", "26", "27", "28", "29", "30", "31", "32", "33", "34", "35",
    "36", "37", "38", "39", "40", "41", "42", "44", "45", "46", "47", "48", "49", "50", "51", "53",
    "54", "55", "56", "60", "66", "69", "72", "78",
];

/// [`STATE_FIPS`] as a bit set of the codes' values (bit 27 for `27`), built at compile
/// time: a membership test is one shift, where the list was up to 56 string compares.
const STATE_FIPS_BITS: u128 = {
    let mut bits = 0u128;
    let mut i = 0;
    while i < STATE_FIPS.len() {
        let b = STATE_FIPS[i].as_bytes();
        bits |= 1 << ((b[0] - b'0') as u32 * 10 + (b[1] - b'0') as u32);
        i += 1;
    }
    bits
};

/// A 2-digit state or territory FIPS code, e.g. `27` (Minnesota).
///
/// Not personal data: `Debug` and `Display` print it in clear.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StateFips([u8; 2]);

impl StateFips {
    /// Parses exactly 2 digits that name a state, DC or territory.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let b = s.as_bytes();
        if b.len() != 2 || !b.iter().all(u8::is_ascii_digit) {
            return Err(IdError::StateFipsFormat);
        }
        let value = u32::from(b[0] - b'0') * 10 + u32::from(b[1] - b'0');
        if STATE_FIPS_BITS >> value & 1 == 0 {
            return Err(IdError::FipsState);
        }
        Ok(StateFips([b[0], b[1]]))
    }

    /// The 2 digits.
    pub fn as_str(&self) -> &str {
        // Both bytes are ASCII digits by construction.
        core::str::from_utf8(&self.0).unwrap_or("00")
    }

    /// Every valid state FIPS code, in numeric order.
    pub fn all() -> impl Iterator<Item = StateFips> {
        STATE_FIPS.iter().map(|s| {
            let b = s.as_bytes();
            StateFips([b[0], b[1]])
        })
    }
}

string_newtype!(StateFips, as_str, "state FIPS code");

impl fmt::Display for StateFips {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for StateFips {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StateFips({})", self.as_str())
    }
}

/// A 7-digit FIPS code as used by CSENet and the e-IWO: state (2) + county (3) + local
/// office (2), e.g. `2712300` (Minnesota, Ramsey County, office 00).
///
/// The state part must be a valid [`StateFips`]; county and local are any digits (`000`/`00`
/// mean "state level"). Not personal data: printed in clear.
///
/// ```
/// use ivd_model::{Fips, StateFips};
/// let fips = Fips::parse("2712300")?;
/// assert_eq!(fips.state(), StateFips::parse("27")?);
/// assert_eq!((fips.county(), fips.local()), ("123", "00"));
/// assert_eq!(Fips::for_state(StateFips::parse("27")?).as_str(), "2700000");
/// # Ok::<(), ivd_model::IdError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fips(compact_str::CompactString);

impl Fips {
    /// Parses exactly 7 digits whose first 2 are a valid state FIPS code.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let b = s.as_bytes();
        if b.len() != 7 || !b.iter().all(u8::is_ascii_digit) {
            return Err(IdError::FipsFormat);
        }
        StateFips::parse(&s[..2])?;
        Ok(Fips(s.into()))
    }

    /// The state-level code `SS00000` of a state (county `000`, local `00`).
    pub fn for_state(state: StateFips) -> Self {
        Fips(compact_str::format_compact!("{}00000", state.as_str()))
    }

    /// The 7 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The state part.
    pub fn state(&self) -> StateFips {
        let b = self.0.as_bytes();
        StateFips([b[0], b[1]])
    }

    /// The 3-digit county part (`000` for state level).
    pub fn county(&self) -> &str {
        &self.0[2..5]
    }

    /// The 2-digit local office part.
    pub fn local(&self) -> &str {
        &self.0[5..7]
    }
}

string_newtype!(Fips, as_str, "FIPS code");

impl fmt::Display for Fips {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Fips {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fips({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bit_set_answers_like_the_list_for_every_two_byte_string() {
        for x in 0..=u16::MAX {
            let [a, b] = x.to_be_bytes();
            let Ok(s) = core::str::from_utf8(&[a, b]).map(str::to_owned) else {
                continue;
            };
            let plain = if !s.bytes().all(|c| c.is_ascii_digit()) {
                Err(IdError::StateFipsFormat)
            } else if STATE_FIPS.contains(&s.as_str()) {
                Ok(StateFips([a, b]))
            } else {
                Err(IdError::FipsState)
            };
            assert_eq!(StateFips::parse(&s), plain, "{s:?}");
        }
    }

    #[test]
    fn state_codes() {
        assert_eq!(StateFips::all().count(), 56);
        for s in StateFips::all() {
            assert_eq!(StateFips::parse(s.as_str()), Ok(s));
        }
        for bad in [
            "00", "03", "07", "14", "43", "52", "57", "59", "61", "64", "67", "68", "70", "71",
            "99",
        ] {
            assert_eq!(StateFips::parse(bad), Err(IdError::FipsState), "{bad}");
        }
        for bad in ["", "2", "027", "2a", " 27"] {
            assert_eq!(
                StateFips::parse(bad),
                Err(IdError::StateFipsFormat),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn full_fips() {
        let f = Fips::parse("2712300").unwrap();
        assert_eq!(f.state().as_str(), "27");
        assert_eq!(f.county(), "123");
        assert_eq!(f.local(), "00");
        assert_eq!(f.to_string(), "2712300");
        assert_eq!(format!("{f:?}"), "Fips(2712300)");
        for bad in ["", "271230", "27123000", "27-123-00", "271230a", "27 1230"] {
            assert_eq!(Fips::parse(bad), Err(IdError::FipsFormat), "{bad:?}");
        }
        assert_eq!(Fips::parse("0312300"), Err(IdError::FipsState));
        assert_eq!(Fips::parse("7200000").unwrap().state().as_str(), "72");
    }

    #[test]
    fn serde() {
        let f: Fips = serde_json::from_str("\"2700000\"").unwrap();
        assert_eq!(f, Fips::for_state(StateFips::parse("27").unwrap()));
        assert_eq!(serde_json::to_string(&f).unwrap(), "\"2700000\"");
        assert!(serde_json::from_str::<Fips>("\"9900000\"").is_err());
        assert!(serde_json::from_str::<Fips>("2700000").is_err());
    }
}
