//! The two 801-byte employer formats: the standard `W4` record (§2) and the vendor
//! `XX Newhire Record` v1.00 (§3). One layout table each, used by the reader and the
//! writer.

use ivd_fixed::{Field, FieldKind, Layout};

use crate::fields::{self as f, Locate, RawOwned, addr};
use crate::validate::Dialect;

const T: FieldKind = FieldKind::TEXT;
const FILL: FieldKind = FieldKind::Filler;

/// Positions 1–751 of the W4 record (§2.1), shared by the employer W4, the NDNH detail
/// record and the NDNH returned-record echo; `$tail` completes positions 752–801.
macro_rules! w4_fields {
    ($($tail:expr),* $(,)?) => {
        &[
            Field::new("record_id", 1, 2, FieldKind::Literal("W4")),
            Field::new("employee_ssn", 3, 9, T),
            Field::new("employee_first_name", 12, 16, T),
            Field::new("employee_middle_name", 28, 16, T),
            Field::new("employee_last_name", 44, 30, T),
            Field::new("employee_address_line1", 74, 40, T),
            Field::new("employee_address_line2", 114, 40, T),
            Field::new("employee_address_line3", 154, 40, T),
            Field::new("employee_city", 194, 25, T),
            Field::new("employee_state", 219, 2, T),
            Field::new("employee_zip", 221, 5, T),
            Field::new("employee_zip4", 226, 4, T),
            Field::new("employee_country_code", 230, 2, T),
            Field::new("employee_country_name", 232, 25, T),
            Field::new("employee_foreign_postal_code", 257, 15, T),
            Field::new("employee_birth_date", 272, 8, T),
            Field::new("employee_hire_date", 280, 8, T),
            Field::new("employee_state_of_hire", 288, 2, T),
            Field::new("employer_fein", 290, 9, T),
            Field::new("employer_state_ein", 299, 12, T),
            Field::new("employer_name", 311, 45, T),
            Field::new("employer_address_line1", 356, 40, T),
            Field::new("employer_address_line2", 396, 40, T),
            Field::new("employer_address_line3", 436, 40, T),
            Field::new("employer_city", 476, 25, T),
            Field::new("employer_state", 501, 2, T),
            Field::new("employer_zip", 503, 5, T),
            Field::new("employer_zip4", 508, 4, T),
            Field::new("employer_country_code", 512, 2, T),
            Field::new("employer_country_name", 514, 25, T),
            Field::new("employer_foreign_postal_code", 539, 15, T),
            Field::new("employer_optional_address_line1", 554, 40, T),
            Field::new("employer_optional_address_line2", 594, 40, T),
            Field::new("employer_optional_address_line3", 634, 40, T),
            Field::new("employer_optional_city", 674, 25, T),
            Field::new("employer_optional_state", 699, 2, T),
            Field::new("employer_optional_zip", 701, 5, T),
            Field::new("employer_optional_zip4", 706, 4, T),
            Field::new("employer_optional_country_code", 710, 2, T),
            Field::new("employer_optional_country_name", 712, 25, T),
            Field::new("employer_optional_foreign_postal_code", 737, 15, T),
            $($tail),*
        ]
    };
}

/// The employer W4 record, 801 bytes (§2.1), with the Texas salary positions (§2, Texas
/// variant: 762–770 salary in cents, 771 frequency [P letters]) in what is otherwise
/// filler. Every field is declared as text: this crate validates with its own codes.
pub static W4: Layout = Layout::new(
    "W4",
    801,
    w4_fields![
        Field::new("filler_752", 752, 10, FILL),
        Field::new("salary", 762, 9, T),
        Field::new("salary_frequency", 771, 1, T),
        Field::new("filler_772", 772, 30, FILL),
    ],
);
const _: () = W4.assert_valid();

/// The W4 record as the NDNH detail record (§5.3): positions 752–801 are filler.
pub static W4_NDNH: Layout = Layout::new(
    "W4",
    801,
    w4_fields![Field::new("filler_752", 752, 50, FILL)],
);
const _: () = W4_NDNH.assert_valid();

/// \[P\] The NDNH returned error detail record: the W4 record echoed, with up to 12
/// 4-character error/warning codes in positions 752–799 (left-justified, blank-padded).
pub static W4_RETURN: Layout = Layout::new(
    "W4 return",
    801,
    w4_fields![
        Field::new("error_codes", 752, 48, T),
        Field::new("filler_800", 800, 2, FILL),
    ],
);
const _: () = W4_RETURN.assert_valid();

/// The vendor `XX Newhire Record` v1.00, 801 bytes (§3.1). The identifier is the state
/// code + ` Newhire Record`; the postal-code fields hold the ZIP for a domestic address and
/// the foreign postal code otherwise.
pub static XX: Layout = Layout::new(
    "XX Newhire Record",
    801,
    &[
        Field::new("record_id", 1, 17, T),
        Field::new("format_version", 18, 4, T),
        Field::new("employee_first_name", 22, 16, T),
        Field::new("employee_middle_name", 38, 16, T),
        Field::new("employee_last_name", 54, 30, T),
        Field::new("employee_ssn", 84, 9, T),
        Field::new("employee_address_line1", 93, 40, T),
        Field::new("employee_address_line2", 133, 40, T),
        Field::new("employee_address_line3", 173, 40, T),
        Field::new("employee_city", 213, 25, T),
        Field::new("employee_state", 238, 2, T),
        Field::new("employee_postal_code", 240, 20, T),
        Field::new("employee_zip4", 260, 4, T),
        Field::new("employee_country_code", 264, 2, T),
        Field::new("employee_birth_date", 266, 8, T),
        Field::new("employee_hire_date", 274, 8, T),
        Field::new("employee_state_of_hire", 282, 2, T),
        Field::new("medical_insurance_available", 284, 1, T),
        Field::new("filler_285", 285, 1, FILL),
        Field::new("employer_fein", 286, 9, T),
        Field::new("employer_state_ein", 295, 12, T),
        Field::new("employer_name", 307, 45, T),
        Field::new("employer_address_line1", 352, 40, T),
        Field::new("employer_address_line2", 392, 40, T),
        Field::new("employer_address_line3", 432, 40, T),
        Field::new("employer_city", 472, 25, T),
        Field::new("employer_state", 497, 2, T),
        Field::new("employer_postal_code", 499, 20, T),
        Field::new("employer_zip4", 519, 4, T),
        Field::new("employer_country_code", 523, 2, T),
        Field::new("employer_phone", 525, 10, T),
        Field::new("employer_phone_extension", 535, 6, T),
        Field::new("employer_contact", 541, 20, T),
        Field::new("employer_optional_address_line1", 561, 40, T),
        Field::new("employer_optional_address_line2", 601, 40, T),
        Field::new("employer_optional_address_line3", 641, 40, T),
        Field::new("employer_optional_city", 681, 25, T),
        Field::new("employer_optional_state", 706, 2, T),
        Field::new("employer_optional_postal_code", 708, 20, T),
        Field::new("employer_optional_zip4", 728, 4, T),
        Field::new("employer_optional_country_code", 732, 2, T),
        Field::new("employer_optional_phone", 734, 10, T),
        Field::new("employer_optional_phone_extension", 744, 6, T),
        Field::new("employer_optional_contact", 750, 20, T),
        Field::new("filler_770", 770, 1, FILL),
        Field::new("employer_multistate", 771, 1, T),
        Field::new("filler_772", 772, 30, FILL),
    ],
);
const _: () = XX.assert_valid();

/// Record length of both fixed formats.
pub const RECORD_LEN: usize = 801;

/// Maps each logical field to a layout field index (`usize::MAX`: not in this format).
const fn map(layout: &Layout, postal: bool) -> [usize; f::N] {
    let mut out = [usize::MAX; f::N];
    let mut i = 0;
    while i < f::N {
        if let Some(idx) = layout.index_of(f::NAMES[i]) {
            out[i] = idx;
        }
        i += 1;
    }
    if postal {
        // XX: one postal-code field per address serves ZIP and foreign postal code.
        let blocks = [
            (f::EMP_ADDR, "employee_postal_code"),
            (f::ER_ADDR, "employer_postal_code"),
            (f::OPT_ADDR, "employer_optional_postal_code"),
        ];
        let mut b = 0;
        while b < blocks.len() {
            let idx = layout.expect_index(blocks[b].1);
            out[blocks[b].0 + addr::ZIP] = idx;
            out[blocks[b].0 + addr::POSTAL] = idx;
            b += 1;
        }
    }
    out
}

/// One of the fixed formats: its layout, field map and dialect.
pub(crate) struct FixedFormat {
    pub(crate) layout: &'static Layout,
    map: [usize; f::N],
    pub(crate) dialect: Dialect,
}

pub(crate) static W4_FORMAT: FixedFormat = FixedFormat {
    layout: &W4,
    map: map(&W4, false),
    dialect: Dialect::W4,
};
pub(crate) static W4_NDNH_FORMAT: FixedFormat = FixedFormat {
    layout: &W4_NDNH,
    map: map(&W4_NDNH, false),
    dialect: Dialect::W4,
};
pub(crate) static W4_RETURN_FORMAT: FixedFormat = FixedFormat {
    layout: &W4_RETURN,
    map: map(&W4_RETURN, false),
    dialect: Dialect::W4,
};
pub(crate) static XX_FORMAT: FixedFormat = FixedFormat {
    layout: &XX,
    map: map(&XX, true),
    dialect: Dialect::Xx,
};

impl Locate for FixedFormat {
    fn locate(&self, field: usize) -> (&'static str, Option<usize>) {
        match self.layout.fields.get(self.map[field]) {
            Some(fd) => (fd.name, Some(fd.start)),
            None => (f::NAMES[field], None),
        }
    }
}

/// The field's bytes without leading and trailing spaces, as a range of `b`.
///
/// Fields are mostly space-padded (and many W4 fields are wholly blank): the trailing
/// padding is cut a word at a time by `ivd_fixed::unpadded_len`; leading spaces are
/// rare (left-justified fields).
fn trimmed(b: &[u8]) -> std::ops::Range<usize> {
    let end = ivd_fixed::unpadded_len(b);
    let start = b
        .get(..end)
        .and_then(|kept| kept.iter().position(|&c| c != b' '))
        .unwrap_or(end);
    start..end
}

fn trim(b: &[u8]) -> &str {
    // Callers check the record is printable ASCII first; anything else reads as blank
    // here and is reported by that check. Spaces are trimmed as bytes (never part of a
    // multi-byte sequence), not with `str::trim_matches`, which decodes char by char and
    // was a third of the time of reading a W4 record.
    std::str::from_utf8(&b[trimmed(b)]).unwrap_or("")
}

impl FixedFormat {
    /// Splits an ASCII record (exactly 801 bytes) into the logical fields.
    pub(crate) fn extract<'a>(&self, rec: &'a [u8], out: &mut [&'a str; f::N]) {
        // A printable record (the usual case) is checked as UTF-8 once and sliced; only
        // a record with bad bytes is checked field by field (a bad field reads as blank).
        let whole = std::str::from_utf8(rec).ok();
        for (i, slot) in out.iter_mut().enumerate() {
            *slot = match self.layout.fields.get(self.map[i]) {
                Some(fd) => {
                    let field = &rec[fd.range()];
                    match whole {
                        Some(text) => {
                            let r = trimmed(field);
                            let from = fd.range().start;
                            text.get(from + r.start..from + r.end).unwrap_or("")
                        }
                        None => trim(field),
                    }
                }
                None => "",
            };
        }
        if self.dialect == Dialect::Xx {
            for base in [f::EMP_ADDR, f::ER_ADDR, f::OPT_ADDR] {
                if out[base + addr::COUNTRY_CODE].is_empty() {
                    out[base + addr::POSTAL] = "";
                } else {
                    out[base + addr::ZIP] = "";
                }
            }
        }
    }

    /// The layout field at a logical index, if the format has it.
    pub(crate) fn field(&self, logical: usize) -> Option<&'static Field> {
        self.layout.fields.get(self.map[logical])
    }

    /// Lays out canonical logical fields (dates CCYYMMDD, salary in cents) into `buf`
    /// (cleared, then exactly 801 bytes).
    pub(crate) fn emit(
        &self,
        raw: &RawOwned,
        buf: &mut Vec<u8>,
    ) -> Result<(), ivd_fixed::FieldError> {
        let mut w = ivd_fixed::RecordWriter::with_buffer(self.layout, std::mem::take(buf));
        let mut date = String::new();
        let mut result = Ok(());
        for i in 0..f::N {
            if self.field(i).is_none() {
                continue;
            }
            let mut v = raw.v[i].as_str();
            if v.is_empty() {
                continue;
            }
            if (i == f::DOB || i == f::DOH) && self.dialect == Dialect::Xx && v.len() == 8 {
                date.clear();
                date.push_str(&v[4..8]);
                date.push_str(&v[..4]);
                v = &date;
            }
            let padded;
            if i == f::SALARY {
                padded = format!("{v:0>9}");
                v = &padded;
            }
            if let Err(e) = w.text(self.map[i], v) {
                result = Err(e);
                break;
            }
        }
        if result.is_ok() && self.dialect == Dialect::Xx {
            let state = [&raw.v[f::STATE_OF_HIRE], &raw.v[f::ER_ADDR + addr::STATE]]
                .into_iter()
                .find(|s| s.len() == 2)
                .map_or("XX", |s| s.as_str());
            let id = format!("{state} Newhire Record");
            result = w
                .text("record_id", &id)
                .and_then(|w| w.text("format_version", "1.00"))
                .map(|_| ());
        }
        *buf = w.finish();
        result
    }
}

/// Whether an ASCII record starts like a vendor record: 2 letters + ` Newhire Record`
/// (case-insensitive).
pub(crate) fn is_xx_id(b: &[u8]) -> bool {
    b.len() >= 17
        && b[0].is_ascii_alphabetic()
        && b[1].is_ascii_alphabetic()
        && b[2..17].eq_ignore_ascii_case(b" Newhire Record")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The byte-wise trim (and the whole-record slicing in `extract`) reads exactly
        /// what `str::trim_matches(' ')` over the field's UTF-8 did, for any bytes.
        #[test]
        fn trimming_bytes_reads_what_trimming_the_str_did(
            field in proptest::collection::vec(
                prop_oneof![Just(b' '), any::<u8>(), 0x20u8..0x7F], 0..40),
        ) {
            let expected = std::str::from_utf8(&field).unwrap_or("").trim_matches(' ');
            prop_assert_eq!(trim(&field), expected);
        }

        #[test]
        fn extract_reads_every_field_as_the_field_by_field_trim(
            seed in proptest::collection::vec(
                prop_oneof![Just(b' '), 0x20u8..0x7F, any::<u8>()], RECORD_LEN),
        ) {
            for format in [&W4_FORMAT, &XX_FORMAT] {
                let mut out = [""; f::N];
                format.extract(&seed, &mut out);
                let mut expected = [""; f::N];
                for (i, slot) in expected.iter_mut().enumerate() {
                    if let Some(fd) = format.field(i) {
                        *slot = std::str::from_utf8(&seed[fd.range()]).unwrap_or("").trim_matches(' ');
                    }
                }
                if format.dialect == Dialect::Xx {
                    for base in [f::EMP_ADDR, f::ER_ADDR, f::OPT_ADDR] {
                        if expected[base + addr::COUNTRY_CODE].is_empty() {
                            expected[base + addr::POSTAL] = "";
                        } else {
                            expected[base + addr::ZIP] = "";
                        }
                    }
                }
                prop_assert_eq!(out, expected);
            }
        }
    }

    #[test]
    fn every_layout_is_contiguous_and_801_bytes() {
        for l in [&W4, &W4_NDNH, &W4_RETURN, &XX] {
            assert_eq!(l.validate(), Ok(()), "{l}");
            assert_eq!(l.record_len, RECORD_LEN);
        }
    }

    #[test]
    fn positions_are_the_specs() {
        let at = |l: &Layout, n: &str| l.field(n).map(|f| (f.start, f.end()));
        // §2.1 (and Nevada, 2 bytes earlier).
        assert_eq!(at(&W4, "employee_ssn"), Some((3, 11)));
        assert_eq!(at(&W4, "employee_birth_date"), Some((272, 279)));
        assert_eq!(at(&W4, "employee_hire_date"), Some((280, 287)));
        assert_eq!(at(&W4, "employer_fein"), Some((290, 298)));
        assert_eq!(at(&W4, "employer_state_ein"), Some((299, 310)));
        assert_eq!(
            at(&W4, "employer_optional_foreign_postal_code"),
            Some((737, 751))
        );
        // Texas variant.
        assert_eq!(at(&W4, "salary"), Some((762, 770)));
        assert_eq!(at(&W4, "salary_frequency"), Some((771, 771)));
        // §3.1.
        assert_eq!(at(&XX, "employee_ssn"), Some((84, 92)));
        assert_eq!(at(&XX, "employee_hire_date"), Some((274, 281)));
        assert_eq!(at(&XX, "medical_insurance_available"), Some((284, 284)));
        assert_eq!(at(&XX, "employer_fein"), Some((286, 294)));
        assert_eq!(at(&XX, "employer_contact"), Some((541, 560)));
        assert_eq!(at(&XX, "employer_multistate"), Some((771, 771)));
    }

    #[test]
    fn every_logical_field_of_the_w4_is_mapped_except_the_employer_extras() {
        let missing: Vec<_> = (0..f::N)
            .filter(|&i| W4_FORMAT.field(i).is_none())
            .map(|i| f::NAMES[i])
            .collect();
        assert_eq!(
            missing,
            [
                "employer_phone",
                "employer_phone_extension",
                "employer_contact",
                "employer_multistate",
                "medical_insurance_available"
            ]
        );
    }
}
