//! The two Transaction Header layouts (IGD Charts C-3 and C-4; spec §1.3).
//!
//! Positions 1–96 are the same in both; the outbound header (state → server) ends with
//! sent date/time, two reserved dates and the overdue indicator (127 bytes), the inbound
//! header (server → state) with the received date/time and four reserved fields (121).

use ivd_fixed::{DateBlank, Field, FieldKind, Layout};

const TEXT: FieldKind = FieldKind::TEXT;
const DIGITS: FieldKind = FieldKind::Number {
    blank_allowed: true,
};
const DATE: FieldKind = FieldKind::Date {
    blank: DateBlank::Spaces,
};
const INDICATOR: FieldKind = FieldKind::NUMBER;

/// Declares positions 1–96 followed by `$tail`.
macro_rules! header_fields {
    ($($tail:expr),+ $(,)?) => {
        &[
            Field::new("Local-FIPS-State", 1, 2, DIGITS),
            Field::new("Local-FIPS-County", 3, 3, DIGITS),
            Field::new("Local-FIPS-Sub", 6, 2, TEXT),
            Field::new("Other-FIPS-State", 8, 2, DIGITS),
            Field::new("Other-FIPS-County", 10, 3, DIGITS),
            Field::new("Other-FIPS-Sub", 13, 2, TEXT),
            // Constant `003`.
            Field::new("CSENet-Version-Number", 15, 3, FieldKind::Literal("003")),
            Field::new("Transaction-Serial-Number", 18, 12, FieldKind::NUMBER),
            // Reserved, blank-fill.
            Field::new("Error-Reason-Code", 30, 2, TEXT),
            // Reserved, blank-fill.
            Field::new("Transaction-Type", 32, 2, TEXT),
            Field::new("Action-Code", 34, 1, TEXT),
            Field::new("Functional-Type-Code", 35, 3, TEXT),
            // CCYYMMDD [I: format]; required.
            Field::new("Transaction-Date", 38, 8, FieldKind::DATE),
            Field::new("Case-ID", 46, 15, TEXT),
            Field::new("Other-Case-ID", 61, 15, TEXT),
            Field::new("Action-Reason", 76, 5, TEXT),
            Field::new("Action-Resolution-Date", 81, 8, DATE),
            Field::new("Attachments-Ind", 89, 1, TEXT),
            Field::new("Case-Data-Ind", 90, 1, INDICATOR),
            Field::new("NCP-Identification-Ind", 91, 1, INDICATOR),
            Field::new("NCP-Locate-Data-Ind", 92, 1, INDICATOR),
            Field::new("Participant-Data-Ind", 93, 1, INDICATOR),
            Field::new("Order-Data-Ind", 94, 1, INDICATOR),
            Field::new("Collection-Data-Ind", 95, 1, INDICATOR),
            Field::new("Information-Ind", 96, 1, INDICATOR),
            $($tail),+
        ]
    };
}

/// Header sent **to** the server (IGD Chart C-3), 127 bytes.
pub static OUTBOUND_HEADER: Layout = Layout::new(
    "OUTBOUND_HEADER",
    127,
    header_fields![
        // Optional.
        Field::new("Sent-Date", 97, 8, DATE),
        // Optional, HHMMSS.
        Field::new("Sent-Time", 105, 6, DIGITS),
        // Reserved, blank-fill.
        Field::new("Due-Date", 111, 8, DATE),
        // Reserved, blank-fill.
        Field::new("Response-Date", 119, 8, DATE),
        // Required, must be `0`.
        Field::new("Overdue-Ind", 127, 1, FieldKind::Literal("0")),
    ],
);
const _: () = OUTBOUND_HEADER.assert_valid();

/// Header sent **from** the server (IGD Chart C-4), 121 bytes.
pub static INBOUND_HEADER: Layout = Layout::new(
    "INBOUND_HEADER",
    121,
    header_fields![
        // The state may fill it.
        Field::new("Date-Received", 97, 8, DATE),
        // The state may fill it, HHMMSS, else blank.
        Field::new("Time-Received", 105, 6, DIGITS),
        // Reserved, blank.
        Field::new("Processing-Complete", 111, 1, TEXT),
        // Reserved, blank.
        Field::new("Attachments-Due-Date", 112, 8, DATE),
        // Reserved, blank.
        Field::new("Sent-To-State-Host", 120, 1, TEXT),
        // Reserved, blank.
        Field::new("Interstate-Forms-Printed", 121, 1, TEXT),
    ],
);
const _: () = INBOUND_HEADER.assert_valid();

/// 1-based positions of the seven block indicators, shared by both headers.
pub const INDICATOR_POSITIONS: [usize; 7] = [90, 91, 92, 93, 94, 95, 96];
