//! The 145-byte server error record of the Invalid Transactions data set (IGD Chart
//! C-12; spec §1.9).

use ivd_fixed::{DateBlank, Field, FieldKind, Layout};

const TEXT: FieldKind = FieldKind::TEXT;
const DATE: FieldKind = FieldKind::Date {
    blank: DateBlank::Spaces,
};
const DIGITS: FieldKind = FieldKind::Number {
    blank_allowed: true,
};

/// The server error record, 145 bytes. Chart C-12 gives no types; we read the counter and
/// the failed serial as digits, dates as `CCYYMMDD`, everything else as text. The fillers
/// are ignored on read and written as spaces.
pub static SERVER_ERROR: Layout = Layout::new(
    "SERVER_ERROR",
    145,
    &[
        Field::new("Txn-Counter", 1, 6, DIGITS),
        Field::new("Filler-1", 7, 1, FieldKind::Filler),
        Field::new("Local-FIPS-Code", 8, 7, TEXT),
        Field::new("Filler-2", 15, 1, FieldKind::Filler),
        Field::new("Other-FIPS-Code", 16, 7, TEXT),
        Field::new("Filler-3", 23, 1, FieldKind::Filler),
        Field::new("Local-Case-ID", 24, 15, TEXT),
        Field::new("Filler-4", 39, 1, FieldKind::Filler),
        Field::new("Other-Case-ID", 40, 15, TEXT),
        Field::new("Filler-5", 55, 1, FieldKind::Filler),
        Field::new("Action-Code", 56, 1, TEXT),
        Field::new("Filler-6", 57, 1, FieldKind::Filler),
        Field::new("Functional-Type-Code", 58, 3, TEXT),
        Field::new("Filler-7", 61, 1, FieldKind::Filler),
        Field::new("Action-Reason", 62, 5, TEXT),
        Field::new("Filler-8", 67, 1, FieldKind::Filler),
        Field::new("Action-Resolution-Date", 68, 8, DATE),
        Field::new("Filler-9", 76, 1, FieldKind::Filler),
        Field::new("Transaction-Date", 77, 8, DATE),
        Field::new("Filler-10", 85, 1, FieldKind::Filler),
        Field::new("Error-Code", 86, 4, TEXT),
        Field::new("Filler-11", 90, 1, FieldKind::Filler),
        // Error-Mess. (91-145) as the notes split it: serial, a space, then text.
        Field::new("Error-Mess-Serial-Number", 91, 12, DIGITS),
        Field::new("Error-Mess-Filler", 103, 1, FieldKind::Filler),
        Field::new("Error-Mess-Text", 104, 42, TEXT),
    ],
);
const _: () = SERVER_ERROR.assert_valid();
