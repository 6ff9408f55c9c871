//! Layouts: the one table per record type that both the reader and the writer use.

use std::fmt;

/// How an all-blank date field is treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DateBlank {
    /// A blank date is an error (`REQUIRED`); an unset date is written as spaces.
    Never,
    /// All spaces or all zeros read as "no date"; "no date" is written as spaces.
    Spaces,
    /// All spaces or all zeros read as "no date"; "no date" is written as zeros.
    Zeros,
}

/// What a field holds and how it is encoded. All text is ASCII after decoding (see
/// [`crate::Encoding`]).
///
/// Numeric kinds are strict: right-justified and zero-filled, so that reading then
/// writing a valid field gives the same bytes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldKind {
    /// Left-justified, space-padded printable ASCII (0x20–0x7E). Reading trims trailing
    /// spaces only: leading spaces are kept (they are significant, and keeping them makes
    /// read → write byte-identical). `required`: all spaces is a `REQUIRED` error.
    Text {
        /// All spaces is an error.
        required: bool,
    },
    /// Right-justified, zero-filled decimal digits, read as `u64` (at most 19 digits).
    /// `blank_allowed`: all spaces reads as "no value" and an unset field is written as
    /// spaces; otherwise an unset field is written as zeros.
    Number {
        /// All spaces means "no value".
        blank_allowed: bool,
    },
    /// `CCYYMMDD` calendar date (field length 8).
    Date {
        /// Whether, and how, a blank date is allowed.
        blank: DateBlank,
    },
    /// Unsigned amount, zero-filled digits with `decimals` implied decimal places; the
    /// value is in minor units (`i64`, never negative). At most 18 digits.
    Amount {
        /// Implied decimal places (metadata for callers; the value is in minor units).
        decimals: u8,
    },
    /// Signed amount with a **leading separate sign**: the first byte is `+` or `-`
    /// (COBOL `SIGN LEADING SEPARATE`), then zero-filled digits. Written with `+` for
    /// zero and positive values. Any other first byte is a `SIGN` error.
    SignedAmount {
        /// Implied decimal places.
        decimals: u8,
    },
    /// Signed amount with a **trailing separate sign**: zero-filled digits, then `+` or
    /// `-` in the last byte (as in FIDM account balances). Written with `+` for zero and
    /// positive values.
    TrailingSignAmount {
        /// Implied decimal places.
        decimals: u8,
    },
    /// Signed amount in **zoned decimal with overpunch** in the last digit, as EBCDIC
    /// hosts write it. Last byte: `{` `A`–`I` = positive 0–9 (zone C), `}` `J`–`R` =
    /// negative 0–9 (zone D); a plain digit `0`–`9` (zone F, unsigned) reads as positive.
    /// Written with `{`/`A`–`I` for zero and positive values, `}`/`J`–`R` for negative.
    ZonedAmount {
        /// Implied decimal places.
        decimals: u8,
    },
    /// Unused space: content ignored on read, written as spaces.
    Filler,
    /// A constant such as a record type code (`"W4"`): checked on read, written
    /// automatically. Its length must equal the field length.
    Literal(&'static str),
}

impl FieldKind {
    /// Optional text.
    pub const TEXT: Self = Self::Text { required: false };
    /// Required text.
    pub const REQUIRED_TEXT: Self = Self::Text { required: true };
    /// A number that may not be blank.
    pub const NUMBER: Self = Self::Number {
        blank_allowed: false,
    };
    /// A required date.
    pub const DATE: Self = Self::Date {
        blank: DateBlank::Never,
    };

    /// Implied decimal places of an amount kind, `None` for other kinds.
    pub const fn decimals(&self) -> Option<u8> {
        match *self {
            Self::Amount { decimals }
            | Self::SignedAmount { decimals }
            | Self::TrailingSignAmount { decimals }
            | Self::ZonedAmount { decimals } => Some(decimals),
            _ => None,
        }
    }

    /// Short name of the kind, for messages.
    pub const fn name(&self) -> &'static str {
        match self {
            Self::Text { .. } => "text",
            Self::Number { .. } => "number",
            Self::Date { .. } => "date",
            Self::Amount { .. } => "amount",
            Self::SignedAmount { .. } => "signed amount",
            Self::TrailingSignAmount { .. } => "trailing-sign amount",
            Self::ZonedAmount { .. } => "zoned amount",
            Self::Filler => "filler",
            Self::Literal(_) => "literal",
        }
    }

    /// Number of digit bytes in a field of this kind and length `len`.
    pub(crate) const fn digit_count(&self, len: usize) -> usize {
        match self {
            Self::SignedAmount { .. } | Self::TrailingSignAmount { .. } => len.saturating_sub(1),
            _ => len,
        }
    }
}

/// One field of a layout, with its position **as the federal specs print it**: 1-based
/// `start`, and `len` bytes, so `start = 3, len = 9` is "positions 3–11".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Field {
    /// Name used for look-ups and in error reports (e.g. `"SSN"`).
    pub name: &'static str,
    /// 1-based position of the first byte.
    pub start: usize,
    /// Length in bytes.
    pub len: usize,
    /// What the field holds.
    pub kind: FieldKind,
}

impl Field {
    /// A field at 1-based `start`, `len` bytes long.
    pub const fn new(name: &'static str, start: usize, len: usize, kind: FieldKind) -> Self {
        Self {
            name,
            start,
            len,
            kind,
        }
    }

    /// 1-based position of the last byte (inclusive), as specs print it.
    pub const fn end(&self) -> usize {
        self.start + self.len - 1
    }

    /// 0-based byte range of the field within a record.
    pub const fn range(&self) -> std::ops::Range<usize> {
        let from = self.start.saturating_sub(1);
        from..from + self.len
    }
}

/// A record type: its name, fixed length and fields in order.
///
/// Declare it once as a `static`/`const` and use it to read and to write; check it with
/// [`Layout::validate`] (in a test) or [`Layout::assert_valid`] (at compile time):
///
/// ```
/// use ivd_fixed::{Field, FieldKind, Layout};
/// static T4: Layout = Layout::new("T4", 13, &[
///     Field::new("record_id", 1, 2, FieldKind::Literal("T4")),
///     Field::new("count", 3, 11, FieldKind::NUMBER),
/// ]);
/// const _: () = T4.assert_valid(); // a bad table fails the build
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Layout {
    /// Name of the record type, used in messages (e.g. `"W4"`).
    pub name: &'static str,
    /// Length of every record of this type, in bytes (without line terminator).
    pub record_len: usize,
    /// Fields, in order of position.
    pub fields: &'static [Field],
}

/// Something wrong with a layout table (found by [`Layout::validate`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LayoutError {
    /// The layout has no fields.
    #[error("layout has no fields")]
    Empty,
    /// A field has length zero or starts at position 0.
    #[error("field {field}: start must be >= 1 and length >= 1")]
    BadField {
        /// Field name.
        field: &'static str,
    },
    /// A field does not start right after the previous one.
    #[error("field {field} starts at {start}, expected {expected} (gap or overlap)")]
    NotContiguous {
        /// Field name.
        field: &'static str,
        /// Declared start.
        start: usize,
        /// Where it should start (end of the previous field + 1).
        expected: usize,
    },
    /// The fields do not add up to the record length.
    #[error("fields end at {end}, record length is {record_len}")]
    LengthMismatch {
        /// 1-based end of the last field (= sum of lengths).
        end: usize,
        /// Declared record length.
        record_len: usize,
    },
    /// Two fields share a name.
    #[error("duplicate field name {field}")]
    DuplicateName {
        /// Field name.
        field: &'static str,
    },
    /// A literal's length differs from its field length, or it is not printable ASCII.
    #[error("field {field}: literal must be printable ASCII of the field's length")]
    BadLiteral {
        /// Field name.
        field: &'static str,
    },
    /// A date field is not 8 bytes long.
    #[error("field {field}: a CCYYMMDD date must be 8 bytes")]
    BadDateLength {
        /// Field name.
        field: &'static str,
    },
    /// A numeric field has more digits than `u64` (19) or `i64` (18) can always hold, or
    /// a signed field has no digit.
    #[error("field {field}: too many (or no) digits for its kind")]
    BadDigitCount {
        /// Field name.
        field: &'static str,
    },
}

const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

impl Layout {
    /// A layout; `const`, so tables can be `static`.
    pub const fn new(name: &'static str, record_len: usize, fields: &'static [Field]) -> Self {
        Self {
            name,
            record_len,
            fields,
        }
    }

    /// Checks the table: fields contiguous from position 1, non-overlapping, adding up to
    /// `record_len`; unique names; literals of the right length; dates 8 bytes; numeric
    /// fields small enough never to overflow. Every adapter's tests call this for every
    /// layout (or use [`Layout::assert_valid`] in a `const`).
    pub const fn validate(&self) -> Result<(), LayoutError> {
        if self.fields.is_empty() {
            return Err(LayoutError::Empty);
        }
        let mut expected = 1;
        let mut i = 0;
        while i < self.fields.len() {
            let f = &self.fields[i];
            if f.start == 0 || f.len == 0 {
                return Err(LayoutError::BadField { field: f.name });
            }
            if f.start != expected {
                return Err(LayoutError::NotContiguous {
                    field: f.name,
                    start: f.start,
                    expected,
                });
            }
            let mut j = 0;
            while j < i {
                if str_eq(self.fields[j].name, f.name) {
                    return Err(LayoutError::DuplicateName { field: f.name });
                }
                j += 1;
            }
            match f.kind {
                FieldKind::Literal(lit) => {
                    if lit.len() != f.len {
                        return Err(LayoutError::BadLiteral { field: f.name });
                    }
                    let b = lit.as_bytes();
                    let mut k = 0;
                    while k < b.len() {
                        if b[k] < 0x20 || b[k] > 0x7E {
                            return Err(LayoutError::BadLiteral { field: f.name });
                        }
                        k += 1;
                    }
                }
                FieldKind::Date { .. } => {
                    if f.len != 8 {
                        return Err(LayoutError::BadDateLength { field: f.name });
                    }
                }
                FieldKind::Number { .. } => {
                    if f.len > 19 {
                        return Err(LayoutError::BadDigitCount { field: f.name });
                    }
                }
                FieldKind::Amount { .. }
                | FieldKind::SignedAmount { .. }
                | FieldKind::TrailingSignAmount { .. }
                | FieldKind::ZonedAmount { .. } => {
                    let digits = f.kind.digit_count(f.len);
                    if digits == 0 || digits > 18 {
                        return Err(LayoutError::BadDigitCount { field: f.name });
                    }
                }
                FieldKind::Text { .. } | FieldKind::Filler => {}
            }
            expected = f.start + f.len;
            i += 1;
        }
        if expected - 1 != self.record_len {
            return Err(LayoutError::LengthMismatch {
                end: expected - 1,
                record_len: self.record_len,
            });
        }
        Ok(())
    }

    /// Panics (at compile time when used in a `const`) if [`Layout::validate`] fails.
    /// In a test, prefer `layout.validate().unwrap()`, whose message names the field.
    pub const fn assert_valid(&self) {
        if self.validate().is_err() {
            panic!("invalid fixed-width layout: run Layout::validate() for details");
        }
    }

    /// Index of the field called `name`. `const`, so adapters can resolve names once:
    /// `const SSN: usize = W4.expect_index("SSN");`.
    pub const fn index_of(&self, name: &str) -> Option<usize> {
        let mut i = 0;
        while i < self.fields.len() {
            if str_eq(self.fields[i].name, name) {
                return Some(i);
            }
            i += 1;
        }
        None
    }

    /// Like [`Layout::index_of`] but panics (at compile time in a `const`) when absent.
    pub const fn expect_index(&self, name: &str) -> usize {
        match self.index_of(name) {
            Some(i) => i,
            None => panic!("no such field in layout"),
        }
    }

    /// The field called `name`.
    pub fn field(&self, name: &str) -> Option<&'static Field> {
        self.index_of(name).map(|i| &self.fields[i])
    }

    /// An error on field `name`, positioned at its start (1 when the layout has no such
    /// field).
    pub fn error_at(
        &self,
        name: &'static str,
        code: crate::ErrorCode,
        message: impl Into<String>,
    ) -> crate::FieldError {
        let position = self.field(name).map_or(1, |f| f.start);
        crate::FieldError::new(code, name, position, message)
    }
}

impl fmt::Display for Layout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({} bytes, {} fields)",
            self.name,
            self.record_len,
            self.fields.len()
        )
    }
}

/// Names a field: by name (`"SSN"`) or by index (`2`, fastest). Index look-up is O(1);
/// name look-up scans the table, so hot paths resolve names once with
/// [`Layout::index_of`].
pub trait FieldId: Copy {
    /// Index of the field in `layout`, if any.
    fn index_in(self, layout: &Layout) -> Option<usize>;
    /// How to name the field in an error when it is not in the layout.
    fn describe(self) -> String;
}

impl FieldId for usize {
    fn index_in(self, layout: &Layout) -> Option<usize> {
        (self < layout.fields.len()).then_some(self)
    }
    fn describe(self) -> String {
        format!("#{self}")
    }
}

impl FieldId for &str {
    fn index_in(self, layout: &Layout) -> Option<usize> {
        layout.index_of(self)
    }
    fn describe(self) -> String {
        self.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const fn f(name: &'static str, start: usize, len: usize, kind: FieldKind) -> Field {
        Field::new(name, start, len, kind)
    }

    static GOOD: Layout = Layout::new(
        "GOOD",
        20,
        &[
            f("id", 1, 2, FieldKind::Literal("G1")),
            f("name", 3, 5, FieldKind::TEXT),
            f("date", 8, 8, FieldKind::DATE),
            f("n", 16, 5, FieldKind::NUMBER),
        ],
    );
    const _: () = GOOD.assert_valid();

    fn check(fields: Vec<Field>, len: usize) -> Result<(), LayoutError> {
        Layout::new("T", len, fields.leak()).validate()
    }

    #[test]
    fn valid_layout_passes() {
        assert_eq!(GOOD.validate(), Ok(()));
        assert_eq!(GOOD.index_of("date"), Some(2));
        assert_eq!(GOOD.expect_index("n"), 3);
        assert_eq!(GOOD.index_of("nope"), None);
        assert_eq!(GOOD.field("name").map(|f| f.end()), Some(7));
        assert_eq!(GOOD.fields[1].range(), 2..7);
    }

    #[test]
    fn gap_overlap_and_length_are_caught() {
        let gap = vec![f("a", 1, 2, FieldKind::TEXT), f("b", 4, 2, FieldKind::TEXT)];
        assert_eq!(
            check(gap, 5),
            Err(LayoutError::NotContiguous {
                field: "b",
                start: 4,
                expected: 3
            })
        );
        let overlap = vec![f("a", 1, 2, FieldKind::TEXT), f("b", 2, 2, FieldKind::TEXT)];
        assert!(matches!(
            check(overlap, 3),
            Err(LayoutError::NotContiguous { .. })
        ));
        let short = vec![f("a", 1, 2, FieldKind::TEXT)];
        assert_eq!(
            check(short, 3),
            Err(LayoutError::LengthMismatch {
                end: 2,
                record_len: 3
            })
        );
        let not_at_one = vec![f("a", 2, 2, FieldKind::TEXT)];
        assert!(matches!(
            check(not_at_one, 3),
            Err(LayoutError::NotContiguous { .. })
        ));
        assert_eq!(check(vec![], 0), Err(LayoutError::Empty));
        assert!(matches!(
            check(vec![f("a", 0, 2, FieldKind::TEXT)], 2),
            Err(LayoutError::BadField { .. })
        ));
        assert!(matches!(
            check(vec![f("a", 1, 0, FieldKind::TEXT)], 0),
            Err(LayoutError::BadField { .. })
        ));
    }

    #[test]
    fn kind_constraints_are_caught() {
        let dup = vec![f("a", 1, 1, FieldKind::TEXT), f("a", 2, 1, FieldKind::TEXT)];
        assert_eq!(
            check(dup, 2),
            Err(LayoutError::DuplicateName { field: "a" })
        );
        let lit = vec![f("a", 1, 3, FieldKind::Literal("W4"))];
        assert_eq!(check(lit, 3), Err(LayoutError::BadLiteral { field: "a" }));
        let date = vec![f("d", 1, 6, FieldKind::DATE)];
        assert_eq!(
            check(date, 6),
            Err(LayoutError::BadDateLength { field: "d" })
        );
        let big = vec![f("n", 1, 20, FieldKind::NUMBER)];
        assert_eq!(
            check(big, 20),
            Err(LayoutError::BadDigitCount { field: "n" })
        );
        let amt = vec![f("n", 1, 19, FieldKind::Amount { decimals: 2 })];
        assert!(check(amt, 19).is_err());
        let signed = vec![f("s", 1, 1, FieldKind::SignedAmount { decimals: 0 })];
        assert!(check(signed, 1).is_err());
        let ok = vec![f("s", 1, 19, FieldKind::SignedAmount { decimals: 0 })];
        assert_eq!(check(ok, 19), Ok(()));
    }

    #[test]
    fn error_messages_name_the_field() {
        let gap = vec![f("a", 1, 2, FieldKind::TEXT), f("b", 4, 2, FieldKind::TEXT)];
        let msg = check(gap, 5).unwrap_err().to_string();
        assert_eq!(msg, "field b starts at 4, expected 3 (gap or overlap)");
    }

    #[test]
    fn field_ids() {
        assert_eq!(1usize.index_in(&GOOD), Some(1));
        assert_eq!(9usize.index_in(&GOOD), None);
        assert_eq!("name".index_in(&GOOD), Some(1));
        assert_eq!(FieldKind::ZonedAmount { decimals: 2 }.decimals(), Some(2));
        assert_eq!(FieldKind::TEXT.decimals(), None);
    }
}
