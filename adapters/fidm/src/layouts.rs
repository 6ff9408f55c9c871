//! The record layouts, each declared once and used by the reader and the writer.
//!
//! Positions are 1-based and inclusive, as the federal charts print them. The status of
//! each row (\[V\] verified, \[V-KS\] Kansas code, \[I\] inferred, \[P\] provisional: our
//! choice where nothing was found) is in the comment beside it and in `README.md`.
//!
//! **The A/B/T record length was not found (§F.7).** We use [`RECORD_LEN`] = 500 bytes,
//! blanks from the last defined field to the end \[P\]. Inquiry records are 99 bytes
//! \[V\].

use ivd_fixed::{DateBlank, Field, FieldKind, Layout};

/// Length of A, B and T records of Method 1 and Method 2 match files \[P\].
pub const RECORD_LEN: usize = 500;
/// Length of D, I and T records of a Method 2 inquiry file \[V\].
pub const INQUIRY_LEN: usize = 99;

const fn f(name: &'static str, start: usize, len: usize, kind: FieldKind) -> Field {
    Field::new(name, start, len, kind)
}

const TEXT: FieldKind = FieldKind::TEXT;
const REQ: FieldKind = FieldKind::REQUIRED_TEXT;
const FILL: FieldKind = FieldKind::Filler;
const BALANCE: FieldKind = FieldKind::TrailingSignAmount { decimals: 0 };
const DOB: FieldKind = FieldKind::Date {
    blank: DateBlank::Spaces,
};

/// The A record: financial institution and transmitter (§B.1), Method 1 and Method 2.
pub static A_RECORD: Layout = Layout::new(
    "A",
    RECORD_LEN,
    &[
        f("record_type", 1, 1, FieldKind::Literal("A")), // [V]
        f("filler_002", 2, 2, FILL),                     // [V]
        f(
            "media_sequence",
            4,
            3,
            FieldKind::Number {
                blank_allowed: true,
            },
        ), // [V]
        f("institution_tin", 7, 9, REQ),                 // [V]
        f("institution_name_control", 16, 4, TEXT),      // [V]
        f("year_month", 20, 6, REQ),                     // [V]
        f("filler_026", 26, 6, FILL),                    // [V]
        f("test_indicator", 32, 1, TEXT),                // [V]
        f("service_bureau_indicator", 33, 1, TEXT),      // [V]
        f("filler_034", 34, 8, FILL),                    // [V]
        f("magnetic_tape_indicator", 42, 2, FILL),       // [V] historic, not kept
        f("filler_044", 44, 5, FILL),                    // [V]
        f("foreign_corporation_indicator", 49, 1, TEXT), // [V]
        f("institution_name", 50, 40, REQ),              // [V]
        f("second_institution_name", 90, 40, TEXT),      // [V]
        f("transfer_agent_indicator", 130, 1, TEXT),     // [V]
        f("institution_street", 131, 40, TEXT),          // [V]
        f("institution_city", 171, 29, TEXT),            // [V]
        f("institution_state", 200, 2, TEXT),            // [V]
        f("institution_zip", 202, 9, TEXT),              // [V]
        f("transmitter_tin", 211, 9, TEXT),              // [V]
        f("transmitter_name", 220, 71, TEXT),            // [V]
        f("transmitter_street", 291, 40, TEXT),          // [V]
        f("transmitter_city", 331, 29, TEXT),            // [V]
        f("transmitter_state", 360, 2, TEXT),            // [I]
        f("transmitter_zip", 362, 9, TEXT),              // [I]
        f("file_indicator", 371, 1, REQ),                // [V] 'M'; Method 1 values [P]
        f("filler_372", 372, 129, FILL),                 // [P] length not found
    ],
);
const _: () = A_RECORD.assert_valid();

/// The Method 1 B record: one account of an all-accounts or update file (§B.2).
pub static ACCOUNT_RECORD: Layout = Layout::new(
    "B (Method 1)",
    RECORD_LEN,
    &[
        f("record_type", 1, 1, FieldKind::Literal("B")), // [V]
        f("year_month", 2, 6, REQ),                      // [V]
        f("last_name_control", 8, 4, TEXT),              // [V]
        f("filler_012", 12, 3, FILL),                    // [V]
        f("ssn", 15, 9, REQ),                            // [V]
        f("account_number", 24, 20, REQ),                // [V]
        f("filler_044", 44, 17, FILL),                   // [V]
        f("account_title", 61, 100, TEXT),               // [V]
        f("foreign_country_indicator", 161, 1, TEXT),    // [V]
        f("payee_name", 162, 40, REQ),                   // [V]
        f("second_payee_name", 202, 40, TEXT),           // [V]
        f("payee_street", 242, 40, TEXT),                // [V]
        f("payee_city", 282, 29, TEXT),                  // [V]
        f("payee_state", 311, 2, TEXT),                  // [V]
        f("payee_zip", 313, 9, TEXT),                    // [V]
        f("filler_322", 322, 29, FILL),                  // [V]
        f("account_balance", 351, 7, BALANCE),           // [V]
        f("filler_358", 358, 1, FILL),                   // [V]
        f("trust_fund_indicator", 359, 1, REQ),          // [V]
        f("filler_360", 360, 1, FILL),                   // [V]
        f("balance_indicator", 361, 1, REQ),             // [V]
        f("update_indicator", 362, 1, TEXT),             // [V]
        f("birth_date", 363, 8, DOB),                    // [V]
        // FTB's Method 1 B layout has one 10-byte field at 371–380 (its name is cut off
        // in the copy read); the account type is read across all of it [P].
        f("account_type", 371, 10, TEXT), // [V] 371–380 / 10; its name [P]
        f("filler_381", 381, 120, FILL),  // [P]
    ],
);
const _: () = ACCOUNT_RECORD.assert_valid();

/// The Method 2 B record: one matched account (§B.4). Verified through 357; from 358 the
/// fields Kansas stores are placed where Method 1 has them (trust fund 359, balance
/// indicator 361, birth date 363, account type 371) and the Method-2-only ones in the
/// gaps and after \[P\].
pub static MATCH_RECORD: Layout = Layout::new(
    "B (Method 2)",
    RECORD_LEN,
    &[
        f("record_type", 1, 1, FieldKind::Literal("B")), // [I]
        f("year_month", 2, 6, REQ),                      // [I]
        f("last_name_control", 8, 4, TEXT),              // [I]
        f("filler_012", 12, 3, FILL),                    // [I]
        f("ssn", 15, 9, REQ),                            // [V]
        f("account_number", 24, 20, REQ),                // [I]
        f("filler_044", 44, 17, FILL),                   // [I]
        f("account_title", 61, 100, TEXT),               // [I]
        f("foreign_country_indicator", 161, 1, TEXT),    // [I]
        f("matched_name", 162, 40, REQ),                 // [V]
        f("second_payee_name", 202, 40, TEXT),           // [I]
        f("payee_street", 242, 40, TEXT),                // [I]
        f("payee_city", 282, 29, TEXT),                  // [I]
        f("payee_state", 311, 2, TEXT),                  // [I]
        f("payee_zip", 313, 9, TEXT),                    // [I]
        f("fips_passback", 322, 5, TEXT),                // [V]
        f("state_passback", 327, 23, TEXT),              // [V]
        f("filler_350", 350, 1, FILL),                   // [I]
        f("account_balance", 351, 7, BALANCE),           // [V] sign [I]
        f("match_flag", 358, 1, TEXT),                   // [P]
        f("trust_fund_indicator", 359, 1, TEXT),         // [P] as Method 1
        f("payee_indicator", 360, 1, TEXT),              // [P]
        f("balance_indicator", 361, 1, TEXT),            // [P] as Method 1
        f("account_status", 362, 1, TEXT),               // [P]
        f("birth_date", 363, 8, DOB),                    // [P] as Method 1
        f("account_type", 371, 2, TEXT),                 // [P] as Method 1
        f("primary_ssn", 373, 9, TEXT),                  // [P]
        f("second_payee_ssn", 382, 9, TEXT),             // [P]
        f("filler_391", 391, 110, FILL),                 // [P]
    ],
);
const _: () = MATCH_RECORD.assert_valid();

/// The T record of Method 1 and Method 2 match files: the count of B records \[S\].
pub static T_RECORD: Layout = Layout::new(
    "T",
    RECORD_LEN,
    &[
        f("record_type", 1, 1, FieldKind::Literal("T")), // [S]
        f("record_count", 2, 8, FieldKind::NUMBER),      // [S]
        f("filler_010", 10, 491, FILL),                  // [S]
    ],
);
const _: () = T_RECORD.assert_valid();

/// The D record of an inquiry file: the month the state created it (§B.3).
pub static INQUIRY_D_RECORD: Layout = Layout::new(
    "D",
    INQUIRY_LEN,
    &[
        f("record_type", 1, 1, FieldKind::Literal("D")), // [V]
        f("year_month", 2, 6, REQ),                      // [V-KS]
        f("data_match_indicator", 8, 1, FieldKind::Literal("M")), // [V-KS]
        f("filler_009", 9, 91, FILL),                    // [I]
    ],
);
const _: () = INQUIRY_D_RECORD.assert_valid();

/// The I record of an inquiry file: one person to match (§B.3).
pub static INQUIRY_I_RECORD: Layout = Layout::new(
    "I",
    INQUIRY_LEN,
    &[
        f("record_type", 1, 1, FieldKind::Literal("I")), // [V]
        f("ssn", 2, 9, REQ),                             // [V-KS]
        f("last_name", 11, 20, REQ),                     // [V-KS]
        f("first_name", 31, 16, TEXT),                   // [V-KS]
        f("passback", 47, 15, TEXT),                     // [V-KS]
        f("fips", 62, 5, REQ),                           // [V-KS]
        f("filler_067", 67, 33, FILL),                   // [I]
    ],
);
const _: () = INQUIRY_I_RECORD.assert_valid();

/// The T record of an inquiry file: the count of I records (§B.3).
pub static INQUIRY_T_RECORD: Layout = Layout::new(
    "T (inquiry)",
    INQUIRY_LEN,
    &[
        f("record_type", 1, 1, FieldKind::Literal("T")), // [V]
        f("record_count", 2, 10, FieldKind::NUMBER),     // [V-KS]
        f("filler_012", 12, 88, FILL),                   // [I]
    ],
);
const _: () = INQUIRY_T_RECORD.assert_valid();

/// Every layout of the crate.
pub static ALL: [&Layout; 7] = [
    &A_RECORD,
    &ACCOUNT_RECORD,
    &MATCH_RECORD,
    &T_RECORD,
    &INQUIRY_D_RECORD,
    &INQUIRY_I_RECORD,
    &INQUIRY_T_RECORD,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_layout_is_contiguous_and_adds_up() {
        for l in ALL {
            assert_eq!(l.validate(), Ok(()), "{l}");
        }
    }

    #[test]
    fn verified_positions_are_where_the_charts_put_them() {
        let at = |l: &Layout, name: &str| l.field(name).map(|f| (f.start, f.end()));
        assert_eq!(at(&A_RECORD, "institution_tin"), Some((7, 15)));
        assert_eq!(at(&A_RECORD, "transmitter_city"), Some((331, 359)));
        assert_eq!(at(&A_RECORD, "file_indicator"), Some((371, 371)));
        assert_eq!(at(&ACCOUNT_RECORD, "account_balance"), Some((351, 357)));
        assert_eq!(at(&ACCOUNT_RECORD, "birth_date"), Some((363, 370)));
        assert_eq!(at(&MATCH_RECORD, "ssn"), Some((15, 23)));
        assert_eq!(at(&MATCH_RECORD, "matched_name"), Some((162, 201)));
        assert_eq!(at(&MATCH_RECORD, "fips_passback"), Some((322, 326)));
        assert_eq!(at(&MATCH_RECORD, "state_passback"), Some((327, 349)));
        assert_eq!(at(&INQUIRY_I_RECORD, "fips"), Some((62, 66)));
    }
}
