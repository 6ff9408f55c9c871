//! Money as integer cents.

use crate::IdError;
use core::fmt;

/// An amount of US dollars, held as whole cents in an `i64`. No floating point anywhere.
///
/// JSON form (the one rule, also in `schemas/case.schema.json`): a **string** with an
/// optional `-`, at least one integer digit and optionally `.` plus 1 or 2 digits —
/// `"1234.56"`, `"-5.00"`, `"100"`, `"0.5"`. Serialization always writes 2 decimals
/// (`"100.00"`). JSON numbers are rejected, so a float never slips in.
///
/// Amounts may be negative (arrears credits, reversals); fields whose domain forbids it
/// (obligation amounts, collections) are checked by [`Case::validate`](crate::Case::validate).
/// Arithmetic is checked: [`checked_add`](Money::checked_add) and
/// [`checked_sub`](Money::checked_sub) return `None` on overflow.
///
/// Money is not masked: amounts alone do not identify anyone.
///
/// ```
/// use ivd_model::Money;
/// let m = Money::parse("1234.5")?;
/// assert_eq!(m.cents(), 123_450);
/// assert_eq!(m.to_string(), "1234.50");
/// assert_eq!(m.format_usd(), "$1,234.50");
/// # Ok::<(), ivd_model::IdError>(())
/// ```
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Money(i64);

impl Money {
    /// Zero dollars.
    pub const ZERO: Money = Money(0);

    /// An amount of `cents` cents.
    pub const fn from_cents(cents: i64) -> Self {
        Money(cents)
    }

    /// The amount in cents.
    pub const fn cents(self) -> i64 {
        self.0
    }

    /// Parses the decimal string form described on the type.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let (negative, rest) = match s.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, s),
        };
        let (int, frac) = match rest.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (rest, None),
        };
        let all_digits = |x: &str| x.bytes().all(|c| c.is_ascii_digit());
        if int.is_empty() || !all_digits(int) {
            return Err(IdError::MoneyFormat);
        }
        let frac_cents: i128 = match frac {
            None => 0,
            Some(f) if (1..=2).contains(&f.len()) && all_digits(f) => {
                let v: i128 = f.parse().map_err(|_| IdError::MoneyFormat)?;
                if f.len() == 1 { v * 10 } else { v }
            }
            Some(_) => return Err(IdError::MoneyFormat),
        };
        // Digits only past this point, so the only failure left is size.
        if int.trim_start_matches('0').len() > 20 {
            return Err(IdError::MoneyOverflow);
        }
        let units: i128 = int.parse().map_err(|_| IdError::MoneyOverflow)?;
        let mut cents = units * 100 + frac_cents;
        if negative {
            cents = -cents;
        }
        i64::try_from(cents)
            .map(Money)
            .map_err(|_| IdError::MoneyOverflow)
    }

    /// `self + other`, or `None` on overflow.
    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money)
    }

    /// `self - other`, or `None` on overflow.
    pub fn checked_sub(self, other: Money) -> Option<Money> {
        self.0.checked_sub(other.0).map(Money)
    }

    /// Whether the amount is below zero.
    pub const fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// Whether the amount is exactly zero.
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// The sum of `amounts`, or `None` on overflow.
    pub fn checked_sum(amounts: impl IntoIterator<Item = Money>) -> Option<Money> {
        amounts
            .into_iter()
            .try_fold(Money::ZERO, Money::checked_add)
    }

    /// Human form for reports: `$1,234.56`, `-$5.00`.
    pub fn format_usd(self) -> String {
        let abs = self.0.unsigned_abs();
        let units = (abs / 100).to_string();
        let mut grouped = String::with_capacity(units.len() + units.len() / 3);
        for (i, c) in units.chars().enumerate() {
            if i > 0 && (units.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        let sign = if self.0 < 0 { "-" } else { "" };
        format!("{sign}${grouped}.{:02}", abs % 100)
    }

    fn decimal(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Money {
    /// The JSON form: `1234.56`, `-5.00`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let abs = self.0.unsigned_abs();
        let sign = if self.0 < 0 { "-" } else { "" };
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Money({self})")
    }
}

impl core::str::FromStr for Money {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        Self::parse(s)
    }
}

impl TryFrom<String> for Money {
    type Error = IdError;
    fn try_from(s: String) -> Result<Self, IdError> {
        Self::parse(&s)
    }
}

impl TryFrom<&str> for Money {
    type Error = IdError;
    fn try_from(s: &str) -> Result<Self, IdError> {
        Self::parse(s)
    }
}

impl serde::Serialize for Money {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.decimal())
    }
}

impl<'de> serde::Deserialize<'de> for Money {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(crate::ids::ParseVisitor::new("amount", Money::parse))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses() {
        assert_eq!(Money::parse("123.45"), Ok(Money::from_cents(12_345)));
        assert_eq!(Money::parse("-5.00"), Ok(Money::from_cents(-500)));
        assert_eq!(Money::parse("100"), Ok(Money::from_cents(10_000)));
        assert_eq!(Money::parse("0.5"), Ok(Money::from_cents(50)));
        assert_eq!(Money::parse("007.05"), Ok(Money::from_cents(705)));
        assert_eq!(Money::parse("-0"), Ok(Money::ZERO));
    }

    #[test]
    fn rejects_bad_format() {
        for bad in [
            "", "-", ".", "1.", ".5", "1.234", "+1", "1,000", "1e3", " 1", "1 ", "--1", "1.-2",
            "$1", "١",
        ] {
            assert_eq!(Money::parse(bad), Err(IdError::MoneyFormat), "{bad:?}");
        }
    }

    #[test]
    fn overflow() {
        assert_eq!(
            Money::parse("92233720368547758.07"),
            Ok(Money::from_cents(i64::MAX))
        );
        assert_eq!(
            Money::parse("-92233720368547758.08"),
            Ok(Money::from_cents(i64::MIN))
        );
        assert_eq!(
            Money::parse("92233720368547758.08"),
            Err(IdError::MoneyOverflow)
        );
        assert_eq!(Money::parse(&"9".repeat(40)), Err(IdError::MoneyOverflow));
        assert_eq!(
            Money::from_cents(i64::MAX).checked_add(Money::from_cents(1)),
            None
        );
        assert_eq!(
            Money::from_cents(i64::MIN).checked_sub(Money::from_cents(1)),
            None
        );
        assert_eq!(
            Money::checked_sum([Money::from_cents(i64::MAX), Money::from_cents(1)]),
            None
        );
        assert_eq!(
            Money::checked_sum([Money::from_cents(150), Money::from_cents(-50)]),
            Some(Money::from_cents(100))
        );
    }

    #[test]
    fn formats() {
        assert_eq!(Money::from_cents(123_456).to_string(), "1234.56");
        assert_eq!(Money::from_cents(-500).to_string(), "-5.00");
        assert_eq!(Money::from_cents(-5).to_string(), "-0.05");
        assert_eq!(
            Money::from_cents(i64::MIN).to_string(),
            "-92233720368547758.08"
        );
        assert_eq!(Money::from_cents(123_456).format_usd(), "$1,234.56");
        assert_eq!(
            Money::from_cents(-100_000_000).format_usd(),
            "-$1,000,000.00"
        );
        assert_eq!(Money::from_cents(99).format_usd(), "$0.99");
        assert_eq!(format!("{:?}", Money::from_cents(1)), "Money(0.01)");
        assert!(Money::from_cents(-1).is_negative());
        assert!(Money::ZERO.is_zero());
    }

    #[test]
    fn serde_is_a_string() {
        assert_eq!(
            serde_json::to_string(&Money::from_cents(10_000)).unwrap(),
            "\"100.00\""
        );
        assert_eq!(
            serde_json::from_str::<Money>("\"100\"").unwrap(),
            Money::from_cents(10_000)
        );
        assert!(serde_json::from_str::<Money>("100").is_err());
        assert!(serde_json::from_str::<Money>("100.5").is_err());
    }
}
