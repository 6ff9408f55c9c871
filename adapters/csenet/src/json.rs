//! The JSON form of transactions (serde helpers used by `#[serde(with = …)]`).
//!
//! The rules, the same everywhere in the crate:
//!
//! * field names are camelCase (`caseData`, `nameLast`, `dateOfBirth`);
//! * text and digit fields are JSON strings exactly as the Rust value holds them (digit
//!   fields keep every digit: `"000123456"`);
//! * dates are `"YYYY-MM-DD"` (the model's convention), times `"HH:MM:SS"`;
//! * amounts are [`ivd_model::Money`] strings with two decimals (`"1234.56"`,
//!   `"-5.00"`), never JSON numbers: the same rule as the canonical case JSON;
//! * a blank value (empty string, no date, no amount, no block) is left out, and a
//!   missing field reads as blank;
//! * unknown fields are refused (`deny_unknown_fields`).
//!
//! Deserialization errors never quote the offending value.

use serde::{Deserialize, Deserializer, Serializer, de::Error as _};
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::{Date, Time};

const ISO: &[BorrowedFormatItem<'static>] = format_description!("[year]-[month]-[day]");

fn parse_iso(s: &str) -> Option<Date> {
    let b = s.as_bytes();
    let shape = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape {
        return None;
    }
    Date::parse(s, ISO).ok()
}

fn format_iso(d: Date) -> String {
    d.format(ISO).unwrap_or_else(|_| String::from("0000-00-00"))
}

const DATE_EXPECTED: &str = "expected a date written YYYY-MM-DD";

/// `Date` as `"YYYY-MM-DD"`.
pub(crate) mod date {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(d: &Date, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_iso(*d))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        let s = String::deserialize(d)?;
        parse_iso(&s).ok_or_else(|| D::Error::custom(DATE_EXPECTED))
    }
}

/// `Option<Date>` as `"YYYY-MM-DD"` or absent / `null`.
pub(crate) mod date_opt {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(d: &Option<Date>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_str(&format_iso(*d)),
            None => s.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Date>, D::Error> {
        match Option::<String>::deserialize(d)? {
            None => Ok(None),
            Some(s) => parse_iso(&s)
                .map(Some)
                .ok_or_else(|| D::Error::custom(DATE_EXPECTED)),
        }
    }
}

/// `Option<Time>` (whole seconds) as `"HH:MM:SS"` or absent / `null`.
pub(crate) mod time_opt {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(t: &Option<Time>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_str(&format!(
                "{:02}:{:02}:{:02}",
                t.hour(),
                t.minute(),
                t.second()
            )),
            None => s.serialize_none(),
        }
    }

    pub(super) fn parse(s: &str) -> Option<Time> {
        let b = s.as_bytes();
        let shape = b.len() == 8
            && b[2] == b':'
            && b[5] == b':'
            && b.iter()
                .enumerate()
                .all(|(i, c)| i == 2 || i == 5 || c.is_ascii_digit());
        if !shape {
            return None;
        }
        let n = |r: std::ops::Range<usize>| s.get(r).and_then(|x| x.parse::<u8>().ok());
        Time::from_hms(n(0..2)?, n(3..5)?, n(6..8)?).ok()
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Time>, D::Error> {
        match Option::<String>::deserialize(d)? {
            None => Ok(None),
            Some(s) => parse(&s)
                .map(Some)
                .ok_or_else(|| D::Error::custom("expected a time of day written HH:MM:SS")),
        }
    }
}

/// The value types of block fields (`codec::value_type!`), each with its JSON form.
pub(crate) trait FieldValue: Sized {
    fn ser<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error>;
    fn de<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error>;
    fn blank(&self) -> bool;
}

impl FieldValue for compact_str::CompactString {
    fn ser<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self)
    }
    fn de<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Option::<compact_str::CompactString>::deserialize(d).map(Option::unwrap_or_default)
    }
    fn blank(&self) -> bool {
        self.is_empty()
    }
}

impl FieldValue for Option<Date> {
    fn ser<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        date_opt::serialize(self, s)
    }
    fn de<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        date_opt::deserialize(d)
    }
    fn blank(&self) -> bool {
        self.is_none()
    }
}

/// Amounts in cents, as `Money` strings.
impl FieldValue for Option<i64> {
    fn ser<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Some(c) => serde::Serialize::serialize(&ivd_model::Money::from_cents(*c), s),
            None => s.serialize_none(),
        }
    }
    fn de<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Option::<ivd_model::Money>::deserialize(d)?.map(ivd_model::Money::cents))
    }
    fn blank(&self) -> bool {
        self.is_none()
    }
}

/// `#[serde(with = "crate::json::field")]` for every block field.
pub(crate) mod field {
    use super::*;

    pub(crate) fn serialize<T: FieldValue, S: Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
        v.ser(s)
    }

    pub(crate) fn deserialize<'de, T: FieldValue, D: Deserializer<'de>>(
        d: D,
    ) -> Result<T, D::Error> {
        T::de(d)
    }

    /// `skip_serializing_if`: blank values are left out.
    pub(crate) fn is_blank<T: FieldValue>(v: &T) -> bool {
        v.blank()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, time};

    #[test]
    fn dates_and_times_have_one_form() {
        assert_eq!(parse_iso("2024-02-29"), Some(date!(2024 - 02 - 29)));
        for bad in ["2023-02-29", "2024-2-29", "+2024-02-29", "20240229", ""] {
            assert_eq!(parse_iso(bad), None, "{bad:?}");
        }
        assert_eq!(format_iso(date!(2024 - 02 - 09)), "2024-02-09");
        assert_eq!(time_opt::parse("23:59:07"), Some(time!(23:59:07)));
        for bad in ["24:00:00", "235907", "23:59", "2:59:07"] {
            assert_eq!(time_opt::parse(bad), None, "{bad:?}");
        }
    }
}
