use super::string_newtype;
use crate::IdError;
use core::fmt;

macro_rules! local_id {
    ($(#[$meta:meta])* $ty:ident, $what:literal) => {
        $(#[$meta])*
        ///
        /// 1–32 characters: ASCII letters, digits, `-`, `_` or `.`. Assigned by the state's
        /// case system, not personal data, so printed in clear.
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $ty(compact_str::CompactString);

        impl $ty {
            /// Parses the identifier.
            pub fn parse(s: &str) -> Result<Self, IdError> {
                let ok = (1..=32).contains(&s.len())
                    && s.bytes().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'));
                if ok { Ok($ty(s.into())) } else { Err(IdError::LocalId) }
            }

            /// The identifier.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        string_newtype!($ty, as_str, $what);

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($ty), "({})"), self.0)
            }
        }
    };
}

local_id!(
    /// The state system's participant (person) identifier, e.g. its client number. Must not
    /// be an SSN.
    PersonId,
    "person id"
);
local_id!(
    /// The state system's identifier of a support order.
    OrderId,
    "order id"
);
local_id!(
    /// The state system's identifier of a collection.
    CollectionId,
    "collection id"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules() {
        for good in ["P1", "p-1_2.3", "00000000000000000000000000000001"] {
            assert!(PersonId::parse(good).is_ok(), "{good}");
            assert!(OrderId::parse(good).is_ok(), "{good}");
            assert!(CollectionId::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            " P1",
            "P 1",
            "P/1",
            "000000000000000000000000000000001",
            "é",
        ] {
            assert_eq!(PersonId::parse(bad), Err(IdError::LocalId), "{bad:?}");
        }
        assert_eq!(
            format!("{:?}", OrderId::parse("O-1").unwrap()),
            "OrderId(O-1)"
        );
    }
}
