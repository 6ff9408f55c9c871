//! Every record of the offset exchange, declared **once** as a static
//! [`ivd_fixed::Layout`] that the reader and the writer both use.
//!
//! ## Which rows are verified
//!
//! Each row ends with its source tag (the crate's README lists the public source of
//! each): `[V]` seen in the federal chart; `[V-KS]` field order and length from the
//! Kansas code that implements the chart; `[I]` inferred (e.g. offsets summed from Kansas
//! lengths); `[P]` **proposed here** because the chart could not be read. Fixing a row
//! when the OCSS FCE User Guide (Appendices E and F) is obtained is one edit here and one
//! in the README table; the compile-time check ([`Layout::assert_valid`]) catches a table
//! that no longer adds up to 245.
//!
//! ## Control records
//!
//! A record whose positions 3–5 hold `CTL` is a control record (E-2, F-2 `[V]` for F-2,
//! F-5 `[P]`); the writer therefore refuses local code `CTL` on detail records. The
//! reconciliation file uses a record identifier in 1–3 instead (`REC` / `RCT`, `[V-KS]`).
//!
//! ## Kinds
//!
//! Alphabetic and A/N fields are text, left-justified and space-filled; numeric fields
//! are zero-filled digits (`[V]` E-chart intro). E-1 amounts are whole dollars; F-4
//! amounts are zoned decimal (overpunch sign in the last byte) with 2 implied decimals,
//! and plain digits are accepted on read. Optional dates and years are written as zeros.

use ivd_fixed::{DateBlank, Field, FieldKind, Layout};

/// The record length of every offset record \[V\].
pub const RECORD_LEN: usize = 245;

/// An optional `CCYYMMDD` date, written as zeros when absent.
const OPTIONAL_DATE: FieldKind = FieldKind::Date {
    blank: DateBlank::Zeros,
};
/// A number that may be blank or zeros when absent.
const OPTIONAL_NUMBER: FieldKind = FieldKind::Number {
    blank_allowed: true,
};
/// A signed amount in cents (zoned decimal, 2 implied decimals).
const ZONED_CENTS: FieldKind = FieldKind::ZonedAmount { decimals: 2 };

/// Positions 1–227 of the E-1 record; the F-1 echo reuses them (see [`F1`]).
macro_rules! e1_body {
    ($($tail:expr),* $(,)?) => {
        &[
            Field::new("STATE_CODE", 1, 2, FieldKind::REQUIRED_TEXT), // [V]
            Field::new("LOCAL_CODE", 3, 3, FieldKind::TEXT),          // [V]
            Field::new("SSN", 6, 9, FieldKind::REQUIRED_TEXT),        // [V] (digits checked by the adapter)
            Field::new("CASE_ID", 15, 15, FieldKind::TEXT),           // [V]
            Field::new("LAST_NAME", 30, 20, FieldKind::REQUIRED_TEXT), // [V]
            Field::new("FIRST_NAME", 50, 15, FieldKind::TEXT),        // [V]
            Field::new("ARREARAGE_AMOUNT", 65, 8, FieldKind::NUMBER), // [V] whole dollars
            Field::new("TRANSACTION_TYPE", 73, 1, FieldKind::REQUIRED_TEXT), // [V]
            Field::new("CASE_TYPE", 74, 1, FieldKind::REQUIRED_TEXT), // [V-KS]
            Field::new("TRANSFER_STATE", 75, 2, FieldKind::TEXT),     // [V-KS]
            Field::new("TRANSFER_LOCAL_CODE", 77, 3, FieldKind::TEXT), // [V-KS]
            Field::new("PROCESS_YEAR", 80, 4, OPTIONAL_NUMBER),       // [V-KS] CCYY
            Field::new("ADDRESS_LINE_1", 84, 30, FieldKind::TEXT),    // [V-KS]
            Field::new("ADDRESS_LINE_2", 114, 30, FieldKind::TEXT),   // [V-KS]
            Field::new("CITY", 144, 25, FieldKind::TEXT),             // [V-KS]
            Field::new("ADDRESS_STATE", 169, 2, FieldKind::TEXT),     // [V-KS]
            Field::new("ZIP_CODE", 171, 9, FieldKind::TEXT),          // [V-KS] 5 or 5+4
            Field::new("PON_DATE", 180, 8, OPTIONAL_DATE),            // [V-KS] CCYYMMDD
            Field::new("EXCLUSIONS", 188, 40, FieldKind::TEXT),       // [V-KS] comma-joined
            $($tail),*
        ]
    };
}

/// Every layout, for tests and tools.
pub static ALL: [&Layout; 8] = [&E1, &E2, &F1, &F2, &F4, &F5, &F6, &F7];

/// Chart E-1, Case Submission and Update Record (state → OCSE). 1–73 `[V]`, 74–245
/// `[V-KS]` (the Kansas record adds up to exactly 245 and matches 1–73 byte for byte).
pub static E1: Layout = Layout::new(
    "E-1",
    RECORD_LEN,
    e1_body![
        Field::new("FILLER", 228, 18, FieldKind::Filler), // [V-KS]
    ],
);
const _: () = E1.assert_valid();

/// Chart E-2, Case Submission and Update Control Record. Fields `[V-KS]`, offsets `[I]`.
pub static E2: Layout = Layout::new(
    "E-2",
    RECORD_LEN,
    &[
        Field::new("STATE_CODE", 1, 2, FieldKind::REQUIRED_TEXT), // [V-KS]
        Field::new("CONTROL", 3, 3, FieldKind::Literal("CTL")),   // [I] by analogy with F-2
        Field::new("TANF_COUNT", 6, 9, FieldKind::NUMBER),        // [V-KS] offsets [I]
        Field::new("NON_TANF_COUNT", 15, 9, FieldKind::NUMBER),   // [V-KS] offsets [I]
        Field::new("TANF_AMOUNT", 24, 11, FieldKind::NUMBER),     // [V-KS] offsets [I]
        Field::new("NON_TANF_AMOUNT", 35, 11, FieldKind::NUMBER), // [V-KS] offsets [I]
        Field::new("FILLER", 46, 200, FieldKind::Filler),         // [I]
    ],
);
const _: () = E2.assert_valid();

/// Chart F-1, Rejected Case Submission and Update record (OCSE → state). 1–49 `[V]`
/// (state, local, SSN, case id, last name echo the E-1); 50–139 `[V-KS]`: the Kansas
/// record definition of this file (`FDSO_RETURN_H`, "Exhibit H", in the Kansas
/// child-support system's public code) echoes the E-1 only up to the process year (1–83),
/// then carries the exclusions (84–123), six 2-byte error codes (124–135) and the 4-byte
/// name control OCSE returns (136–139). The address block and PON date of the E-1 are not
/// echoed. 140–245 are filler `[P]` (the record length is the E-1's).
pub static F1: Layout = Layout::new(
    "F-1",
    RECORD_LEN,
    &[
        Field::new("STATE_CODE", 1, 2, FieldKind::REQUIRED_TEXT), // [V]
        Field::new("LOCAL_CODE", 3, 3, FieldKind::TEXT),          // [V]
        Field::new("SSN", 6, 9, FieldKind::REQUIRED_TEXT), // [V] (digits checked by the adapter)
        Field::new("CASE_ID", 15, 15, FieldKind::TEXT),    // [V]
        Field::new("LAST_NAME", 30, 20, FieldKind::REQUIRED_TEXT), // [V]
        Field::new("FIRST_NAME", 50, 15, FieldKind::TEXT), // [V-KS]
        Field::new("ARREARAGE_AMOUNT", 65, 8, FieldKind::NUMBER), // [V-KS] whole dollars
        Field::new("TRANSACTION_TYPE", 73, 1, FieldKind::REQUIRED_TEXT), // [V-KS]
        Field::new("CASE_TYPE", 74, 1, FieldKind::REQUIRED_TEXT), // [V-KS]
        Field::new("TRANSFER_STATE", 75, 2, FieldKind::TEXT), // [V-KS]
        Field::new("TRANSFER_LOCAL_CODE", 77, 3, FieldKind::TEXT), // [V-KS]
        Field::new("PROCESS_YEAR", 80, 4, OPTIONAL_NUMBER), // [V-KS] CCYY
        Field::new("EXCLUSIONS", 84, 40, FieldKind::TEXT), // [V-KS] comma-joined
        Field::new("ERROR_CODE_1", 124, 2, FieldKind::TEXT), // [V-KS]
        Field::new("ERROR_CODE_2", 126, 2, FieldKind::TEXT), // [V-KS]
        Field::new("ERROR_CODE_3", 128, 2, FieldKind::TEXT), // [V-KS]
        Field::new("ERROR_CODE_4", 130, 2, FieldKind::TEXT), // [V-KS]
        Field::new("ERROR_CODE_5", 132, 2, FieldKind::TEXT), // [V-KS]
        Field::new("ERROR_CODE_6", 134, 2, FieldKind::TEXT), // [V-KS]
        Field::new("NAME_CONTROL", 136, 4, FieldKind::TEXT), // [V-KS]
        Field::new("FILLER", 140, 106, FieldKind::Filler), // [P]
    ],
);
const _: () = F1.assert_valid();

/// The six error-code fields of [`F1`].
pub(crate) const F1_ERROR_CODES: [&str; 6] = [
    "ERROR_CODE_1",
    "ERROR_CODE_2",
    "ERROR_CODE_3",
    "ERROR_CODE_4",
    "ERROR_CODE_5",
    "ERROR_CODE_6",
];

/// Chart F-2, reject control record `CTL` `[V]` (every row verified).
pub static F2: Layout = Layout::new(
    "F-2",
    RECORD_LEN,
    &[
        Field::new("STATE_CODE", 1, 2, FieldKind::REQUIRED_TEXT), // [V]
        Field::new("CONTROL", 3, 3, FieldKind::Literal("CTL")),   // [V]
        Field::new("TANF_ACCEPTED", 6, 9, FieldKind::NUMBER),     // [V]
        Field::new("TANF_REJECTED", 15, 9, FieldKind::NUMBER),    // [V]
        Field::new("NON_TANF_ACCEPTED", 24, 9, FieldKind::NUMBER), // [V]
        Field::new("NON_TANF_REJECTED", 33, 9, FieldKind::NUMBER), // [V]
        Field::new("TANF_WARNING", 42, 9, FieldKind::NUMBER),     // [V]
        Field::new("NON_TANF_WARNING", 51, 9, FieldKind::NUMBER), // [V]
        Field::new("FILLER", 60, 186, FieldKind::Filler),         // [V]
    ],
);
const _: () = F2.assert_valid();

/// Chart F-4, Collection and Adjustment record (OCSE → state, weekly). 1–97 and 225
/// `[V]`; the fields known to exist without known positions are **proposed** `[P]` in
/// 98–224 (case type, offset year, joint return, source, TOP trace number).
pub static F4: Layout = Layout::new(
    "F-4",
    RECORD_LEN,
    &[
        Field::new("STATE_CODE", 1, 2, FieldKind::REQUIRED_TEXT), // [V]
        Field::new("LOCAL_CODE", 3, 3, FieldKind::TEXT),          // [V]
        Field::new("SSN", 6, 9, FieldKind::REQUIRED_TEXT),        // [V]
        Field::new("CASE_ID", 15, 15, FieldKind::TEXT),           // [V]
        Field::new("LAST_NAME", 30, 20, FieldKind::TEXT),         // [V]
        Field::new("FIRST_NAME", 50, 15, FieldKind::TEXT),        // [V]
        Field::new("CERTIFIED_ARREARAGE", 65, 11, ZONED_CENTS),   // [V] signed, 2 decimals
        Field::new("COLLECTION_AMOUNT", 76, 11, ZONED_CENTS),     // [V] signed, 2 decimals
        Field::new("ADJUSTMENT_AMOUNT", 87, 11, ZONED_CENTS),     // [V] signed, 2 decimals
        Field::new("CASE_TYPE", 98, 1, FieldKind::REQUIRED_TEXT), // [P] exists [V]
        Field::new("OFFSET_YEAR", 99, 4, OPTIONAL_NUMBER),        // [P] exists [V-KS]
        Field::new("JOINT_RETURN", 103, 1, FieldKind::TEXT),      // [P] exists [V] Y/N
        Field::new("JOINT_RETURN_NAME", 104, 35, FieldKind::TEXT), // [P] exists [V-KS], 35 [V-KS]
        Field::new("OFFSET_SOURCE", 139, 3, FieldKind::TEXT),     // [P] exists [V]
        Field::new("TOP_TRACE_NUMBER", 142, 15, FieldKind::TEXT), // [P] exists [V]
        Field::new("FILLER_1", 157, 68, FieldKind::Filler),       // [P]
        Field::new("INJURED_SPOUSE", 225, 1, FieldKind::TEXT),    // [V] Y/N
        Field::new("FILLER_2", 226, 20, FieldKind::Filler),       // [P]
    ],
);
const _: () = F4.assert_valid();

/// Chart F-5, collection control record: exists, layout **not found**; entirely
/// proposed `[P]`, shaped like F-2.
pub static F5: Layout = Layout::new(
    "F-5",
    RECORD_LEN,
    &[
        Field::new("STATE_CODE", 1, 2, FieldKind::REQUIRED_TEXT), // [P]
        Field::new("CONTROL", 3, 3, FieldKind::Literal("CTL")),   // [P]
        Field::new("RECORD_COUNT", 6, 9, FieldKind::NUMBER),      // [P]
        Field::new("COLLECTION_TOTAL", 15, 13, ZONED_CENTS),      // [P]
        Field::new("ADJUSTMENT_TOTAL", 28, 13, ZONED_CENTS),      // [P]
        Field::new("FILLER", 41, 205, FieldKind::Filler),         // [P]
    ],
);
const _: () = F5.assert_valid();

/// Chart F-6, Case Reconciliation record `REC`. Field order `[V-KS]`
/// (`FdsoReconciliationFileRecord`), offsets summed `[I]`; INS and DCK flags and the rest
/// proposed `[P]` / simplified `[S]`.
pub static F6: Layout = Layout::new(
    "F-6",
    RECORD_LEN,
    &[
        Field::new("RECORD_ID", 1, 3, FieldKind::Literal("REC")), // [V-KS]
        Field::new("STATE_CODE", 4, 2, FieldKind::REQUIRED_TEXT), // [V-KS] offsets [I]
        Field::new("LOCAL_CODE", 6, 3, FieldKind::TEXT),          // [V-KS] offsets [I]
        Field::new("SSN", 9, 9, FieldKind::REQUIRED_TEXT),        // [V-KS] offsets [I]
        Field::new("CASE_ID", 18, 15, FieldKind::TEXT),           // [V-KS] offsets [I]
        Field::new("LAST_NAME", 33, 20, FieldKind::TEXT),         // [V-KS] offsets [I]
        Field::new("FIRST_NAME", 53, 15, FieldKind::TEXT),        // [V-KS] offsets [I]
        Field::new("ARREARAGE_AMOUNT", 68, 8, FieldKind::NUMBER), // [V-KS] whole dollars
        Field::new("CASE_TYPE", 76, 1, FieldKind::REQUIRED_TEXT), // [V-KS] offsets [I]
        Field::new("PON_DATE", 77, 8, OPTIONAL_DATE),             // [V-KS] offsets [I]
        Field::new("PRE_OFFSET_HOLD", 85, 1, FieldKind::TEXT),    // [V-KS] offsets [I]
        Field::new("EXCLUDE_ADM", 86, 3, FieldKind::TEXT),        // [V-KS] code or spaces [I]
        Field::new("EXCLUDE_RET", 89, 3, FieldKind::TEXT),        // [V-KS]
        Field::new("EXCLUDE_VEN", 92, 3, FieldKind::TEXT),        // [V-KS]
        Field::new("EXCLUDE_SAL", 95, 3, FieldKind::TEXT),        // [V-KS]
        Field::new("EXCLUDE_TAX", 98, 3, FieldKind::TEXT),        // [V-KS]
        Field::new("EXCLUDE_PAS", 101, 3, FieldKind::TEXT),       // [V-KS]
        Field::new("EXCLUDE_FIN", 104, 3, FieldKind::TEXT),       // [V-KS]
        Field::new("EXCLUDE_INS", 107, 3, FieldKind::TEXT),       // [P]
        Field::new("EXCLUDE_DCK", 110, 3, FieldKind::TEXT),       // [P]
        Field::new("FILLER", 113, 133, FieldKind::Filler),        // [S]
    ],
);
const _: () = F6.assert_valid();

/// The exclusion flag fields of [`F6`], in [`crate::Exclusion::ALL`] order.
pub(crate) const F6_EXCLUSIONS: [&str; 9] = [
    "EXCLUDE_ADM",
    "EXCLUDE_RET",
    "EXCLUDE_VEN",
    "EXCLUDE_SAL",
    "EXCLUDE_TAX",
    "EXCLUDE_PAS",
    "EXCLUDE_FIN",
    "EXCLUDE_INS",
    "EXCLUDE_DCK",
];

/// Chart F-7, Case Reconciliation control record `RCT`: the identifier is `[V-KS]`, the
/// rest **proposed** `[P]`, shaped like E-2.
pub static F7: Layout = Layout::new(
    "F-7",
    RECORD_LEN,
    &[
        Field::new("RECORD_ID", 1, 3, FieldKind::Literal("RCT")), // [V-KS]
        Field::new("STATE_CODE", 4, 2, FieldKind::REQUIRED_TEXT), // [P]
        Field::new("TANF_COUNT", 6, 9, FieldKind::NUMBER),        // [P]
        Field::new("NON_TANF_COUNT", 15, 9, FieldKind::NUMBER),   // [P]
        Field::new("TANF_AMOUNT", 24, 11, FieldKind::NUMBER),     // [P]
        Field::new("NON_TANF_AMOUNT", 35, 11, FieldKind::NUMBER), // [P]
        Field::new("FILLER", 46, 200, FieldKind::Filler),         // [P]
    ],
);
const _: () = F7.assert_valid();

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_layout_is_contiguous_and_245_bytes() {
        for l in ALL {
            assert_eq!(l.validate(), Ok(()), "{}", l.name);
            assert_eq!(l.record_len, RECORD_LEN);
        }
    }

    #[test]
    fn f1_echoes_e1_up_to_the_process_year_then_the_kansas_error_block() {
        // 1–83 as the E-1 (Kansas FDSO_RETURN_H), then exclusions, codes, name control.
        for (e, f) in E1.fields.iter().zip(F1.fields.iter()).take(12) {
            assert_eq!(e, f);
        }
        assert_eq!(F1.field("PROCESS_YEAR").unwrap().end(), 83);
        let at = |n: &str| {
            let f = F1.field(n).unwrap();
            (f.start, f.end())
        };
        assert_eq!(at("EXCLUSIONS"), (84, 123));
        assert_eq!(at("ERROR_CODE_1"), (124, 125));
        assert_eq!(at("ERROR_CODE_6"), (134, 135));
        assert_eq!(at("NAME_CONTROL"), (136, 139));
        assert!(F1.field("ADDRESS_LINE_1").is_none() && F1.field("PON_DATE").is_none());
    }

    #[test]
    fn verified_positions_are_where_the_charts_print_them() {
        let at = |l: &Layout, n: &str| {
            let f = l.field(n).unwrap();
            (f.start, f.end())
        };
        assert_eq!(at(&E1, "SSN"), (6, 14));
        assert_eq!(at(&E1, "ARREARAGE_AMOUNT"), (65, 72));
        assert_eq!(at(&E1, "TRANSACTION_TYPE"), (73, 73));
        assert_eq!(at(&E1, "EXCLUSIONS"), (188, 227));
        assert_eq!(at(&F2, "NON_TANF_WARNING"), (51, 59));
        assert_eq!(at(&F4, "ADJUSTMENT_AMOUNT"), (87, 97));
        assert_eq!(at(&F4, "INJURED_SPOUSE"), (225, 225));
        assert_eq!(at(&F6, "EXCLUDE_FIN"), (104, 106));
    }
}
