//! Calendar dates in the JSON: `YYYY-MM-DD`, nothing else.

use crate::IdError;
use time::Date;
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;

const ISO: &[BorrowedFormatItem<'static>] = format_description!("[year]-[month]-[day]");

/// Parses `YYYY-MM-DD` (4-digit year, 2-digit month and day, a real calendar date).
pub(crate) fn parse_iso(s: &str) -> Result<Date, IdError> {
    let b = s.as_bytes();
    let shape = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape {
        return Err(IdError::DateFormat);
    }
    Date::parse(s, ISO).map_err(|_| IdError::DateFormat)
}

/// Formats `YYYY-MM-DD`.
pub(crate) fn format_iso(d: Date) -> String {
    d.format(ISO).unwrap_or_else(|_| String::from("0000-00-00"))
}

/// `#[serde(with = "crate::date::iso_date")]` for `Date` fields.
pub(crate) mod iso_date {
    use time::Date;

    pub(crate) fn serialize<S: serde::Serializer>(d: &Date, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::format_iso(*d))
    }

    pub(crate) fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        d.deserialize_any(crate::ids::ParseVisitor::new("date", super::parse_iso))
    }

    /// The same for `Option<Date>` fields (use with `default`).
    pub(crate) mod option {
        use time::Date;

        pub(crate) fn serialize<S: serde::Serializer>(
            d: &Option<Date>,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            match d {
                Some(d) => super::serialize(d, s),
                None => s.serialize_none(),
            }
        }

        pub(crate) fn deserialize<'de, D: serde::Deserializer<'de>>(
            d: D,
        ) -> Result<Option<Date>, D::Error> {
            struct Wrap(Date);
            impl<'de> serde::Deserialize<'de> for Wrap {
                fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                    super::deserialize(d).map(Wrap)
                }
            }
            Ok(<Option<Wrap> as serde::Deserialize>::deserialize(d)?.map(|w| w.0))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn iso_only() {
        assert_eq!(parse_iso("2024-02-29"), Ok(date!(2024 - 02 - 29)));
        for bad in [
            "2023-02-29",
            "2024-2-29",
            "24-02-29",
            "2024/02/29",
            "",
            "+2024-02-29",
            "2024-02-29 ",
        ] {
            assert_eq!(parse_iso(bad), Err(IdError::DateFormat), "{bad:?}");
        }
        assert_eq!(format_iso(date!(2024 - 02 - 09)), "2024-02-09");
    }
}
