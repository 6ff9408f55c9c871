//! Identifier and personal-data newtypes that are valid by construction.
//!
//! Every type here has private fields and one way in: `parse(&str) -> Result<Self, IdError>`
//! (also reached through [`FromStr`](core::str::FromStr), `TryFrom<String>`, `TryFrom<&str>`
//! and serde deserialization, which all call `parse`). Holding a value means it passed its
//! rules.
//!
//! Personal data ([`Ssn`], [`PersonName`], [`BirthDate`], [`Phone`], [`Email`], [`ZipCode`],
//! [`PersonalText`]) prints masked in `Debug` and `Display`. The clear value comes out through
//! exactly two doors, both deliberate: the `expose()` accessor and serde serialization (the
//! wire format needs the value). Non-personal identifiers ([`Fips`], [`StateFips`], [`CaseId`],
//! [`TribeCode`], [`StateCode`], [`CountryCode`], [`Fein`] partially, and the local ids) print
//! in clear because operators need them to find a case; they are read with `as_str()`.
//!
//! Deserialization errors never echo the input: the visitor used here replaces serde's usual
//! "invalid type: integer `123456789`" with a message that names only the kind of value.
//! It is driven by `deserialize_any`, so these types need a self-describing format (JSON,
//! the model's one serialization).

mod case_id;
mod fein;
mod fips;
mod local;
mod personal;
mod place;
mod ssn;
mod tribe;

pub use case_id::CaseId;
pub use fein::Fein;
pub use fips::{Fips, StateFips};
pub use local::{CollectionId, OrderId, PersonId};
pub use personal::{BirthDate, Email, PersonName, PersonNameParts, PersonalText, Phone};
pub use place::{CountryCode, StateCode, ZipCode};
pub use ssn::Ssn;
pub use tribe::TribeCode;

use crate::IdError;
use core::fmt;
use core::marker::PhantomData;

/// A serde visitor that accepts only strings and never echoes a non-string input.
pub(crate) struct ParseVisitor<T> {
    what: &'static str,
    parse: fn(&str) -> Result<T, IdError>,
    _marker: PhantomData<T>,
}

impl<T> ParseVisitor<T> {
    pub(crate) fn new(what: &'static str, parse: fn(&str) -> Result<T, IdError>) -> Self {
        ParseVisitor {
            what,
            parse,
            _marker: PhantomData,
        }
    }

    fn wrong<E: serde::de::Error>(&self, kind: &str) -> E {
        E::custom(format_args!(
            "invalid type: {kind}, expected {} as a string",
            self.what
        ))
    }
}

impl<T> serde::de::Visitor<'_> for ParseVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} as a string", self.what)
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<T, E> {
        (self.parse)(v).map_err(|e| E::custom(format_args!("{}: {e} ({})", self.what, e.code())))
    }

    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<T, E> {
        Err(self.wrong("boolean"))
    }
    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<T, E> {
        Err(self.wrong("integer"))
    }
    fn visit_i128<E: serde::de::Error>(self, _: i128) -> Result<T, E> {
        Err(self.wrong("integer"))
    }
    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<T, E> {
        Err(self.wrong("integer"))
    }
    fn visit_u128<E: serde::de::Error>(self, _: u128) -> Result<T, E> {
        Err(self.wrong("integer"))
    }
    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<T, E> {
        Err(self.wrong("number"))
    }
    fn visit_char<E: serde::de::Error>(self, v: char) -> Result<T, E> {
        let mut buf = [0u8; 4];
        self.visit_str(v.encode_utf8(&mut buf))
    }
    fn visit_bytes<E: serde::de::Error>(self, _: &[u8]) -> Result<T, E> {
        Err(self.wrong("bytes"))
    }
}

/// Implements `FromStr`, `TryFrom<String>`, `TryFrom<&str>` and serde for a newtype with a
/// `parse` constructor; `$raw` is the method whose string is serialized.
macro_rules! string_newtype {
    ($ty:ident, $raw:ident, $what:literal) => {
        impl core::str::FromStr for $ty {
            type Err = $crate::IdError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl TryFrom<String> for $ty {
            type Error = $crate::IdError;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                Self::parse(&s)
            }
        }

        impl TryFrom<&str> for $ty {
            type Error = $crate::IdError;
            fn try_from(s: &str) -> Result<Self, Self::Error> {
                Self::parse(s)
            }
        }

        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.$raw())
            }
        }

        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserializer.deserialize_any($crate::ids::ParseVisitor::new($what, Self::parse))
            }
        }
    };
}
pub(crate) use string_newtype;

/// Returns the ASCII digits of `s` after removing `-` at exactly the given byte positions
/// (`dash_at`), or `None` when the shape does not match. Accepts either all digits of length
/// `n` or the dashed form.
pub(crate) fn digits_with_optional_dashes(
    s: &str,
    n: usize,
    dash_at: &[usize],
) -> Option<compact_str::CompactString> {
    let b = s.as_bytes();
    if b.len() == n && b.iter().all(u8::is_ascii_digit) {
        return Some(s.into());
    }
    if b.len() != n + dash_at.len() {
        return None;
    }
    let mut out = compact_str::CompactString::default();
    for (i, &c) in b.iter().enumerate() {
        if dash_at.contains(&i) {
            if c != b'-' {
                return None;
            }
        } else if c.is_ascii_digit() {
            out.push(c as char);
        } else {
            return None;
        }
    }
    Some(out)
}
