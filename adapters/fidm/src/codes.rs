//! Stable error codes of this crate.
//!
//! Codes are part of the per-record report contract: once published they do not change.
//! Besides these, a [`FieldError`](ivd_fixed::FieldError) may carry the generic codes of
//! `ivd-fixed` (`NOT_TEXT`, `NOT_NUMERIC`, `REQUIRED`, `BAD_DATE`, `SIGN`, `OVERFLOW`,
//! `TOO_LONG`, `LENGTH`). `README.md` has the table.

use ivd_fixed::ErrorCode;

macro_rules! codes {
    ($($(#[$m:meta])* $name:ident;)*) => {
        $($(#[$m])* pub const $name: ErrorCode = ErrorCode::new(stringify!($name));)*

        /// Every code of this crate.
        pub const ALL: &[ErrorCode] = &[$($name),*];
    };
}

codes! {
    /// A record shorter or longer than the layout (a short or long line).
    LENGTH;
    /// The file ends inside a record.
    PARTIAL_RECORD;
    /// Reading the input failed.
    IO_ERROR;
    /// The first byte is not a record type of this file, or the record is out of place
    /// (a second header, a header after detail records).
    RECORD_TYPE;
    /// The file does not start with its header record (`A`, or `D` for an inquiry file),
    /// or is empty.
    MISSING_HEADER;
    /// The file ends without its trailer record (`T`).
    MISSING_TRAILER;
    /// A record after the trailer.
    AFTER_TRAILER;
    /// The trailer's count disagrees with the detail records of the file.
    TRAILER_COUNT;
    /// The SSN is not 9 digits.
    SSN_FORMAT;
    /// The SSN area is 000, 666 or 900–999.
    SSN_AREA;
    /// The SSN group is 00.
    SSN_GROUP;
    /// The SSN serial is 0000.
    SSN_SERIAL;
    /// A TIN is not 9 digits.
    TIN_FORMAT;
    /// A TIN's prefix was never issued by the IRS.
    TIN_PREFIX;
    /// `CCYYMM` is not 6 digits starting `20` with a month 01–12.
    YEAR_MONTH;
    /// A detail record's `CCYYMM` differs from the header's.
    YEAR_MONTH_MISMATCH;
    /// A state is not a USPS state code.
    STATE_CODE;
    /// A ZIP is not 5 or 9 digits.
    ZIP_FORMAT;
    /// The payee last-name control is not 1–4 letters, digits, `-` or `&` without blanks.
    NAME_CONTROL;
    /// A FIPS pass-back is not 5 digits starting with a state FIPS code (inquiry), or not
    /// printable (match).
    FIPS_CODE;
    /// An indicator (test, service bureau, foreign, transfer agent) holds another value.
    INDICATOR;
    /// The data match file indicator (A record, position 371) is unknown or does not fit
    /// the file being read.
    FILE_INDICATOR;
    /// Account type not in §B.6.
    ACCOUNT_TYPE;
    /// Trust fund indicator not in §B.6.
    TRUST_FUND;
    /// Account balance indicator not in §B.6.
    BALANCE_INDICATOR;
    /// A balance other than zero while the balance indicator is `0` (not provided).
    BALANCE_NOT_ZERO;
    /// A negative balance in a match file (reported as zeros there).
    BALANCE_NEGATIVE;
    /// Account update indicator not in §B.6, present in an all-accounts file, or missing
    /// in an update file.
    UPDATE_INDICATOR;
    /// Match flag not in §B.6.
    MATCH_FLAG;
    /// Payee indicator not in §B.6.
    PAYEE_INDICATOR;
    /// Account status indicator not in §B.6.
    ACCOUNT_STATUS;
}
