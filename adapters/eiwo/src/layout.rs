//! Every e-IWO record type, declared **once** as a static [`ivd_fixed::Layout`] used by the
//! reader and the writer.
//!
//! ## Sources of the rows (issue 29)
//!
//! Each row carries a tag; the README's tables list them with the source.
//!
//! * `[C]` — position and length read in OCSE's published Chart D-3 (OMB 0970-0154,
//!   "e-IWO Detail Record", revision of 2020-05-13) or Chart D-1/D-2 (the 2010 charts):
//!   DTL 1–184 and the envelope's document code and control number 1–25.
//! * `[C10]` — position read in the 2010 acknowledgment chart (Chart D-4, OMB 0970-0154,
//!   expiration 10/31/2010): the ACK document action code at 4–6.
//! * `[K]` — length and field order from the Kansas child-support system's public code
//!   (record definitions `EIWO_B587_HEADER_RECORD`, `EIWO_B587_DETAIL_RECORD`,
//!   `EIWO_B587_TRAILER_RECORD` and the field order of the file writer `LE_B587_WRITE_FILE`),
//!   placed one after the other from the last `[C]` row. Kansas sends these files to the
//!   OCSE portal, so its lengths are what the portal accepts.
//! * `[KL]` — length from the Kansas acknowledgment reader (`LE_B589_READ_FILE`); the
//!   reader's views do not give positions, so the position is proposed.
//! * `[P]` — proposed: no public source gives it (the README's "unconfirmed" table).
//!
//! ## Record lengths and framing \[P\]
//!
//! Each record type has its own length (header and trailer 100, `DTL` 2250, `ACK` 550), the
//! fields padded with filler to that length, and every record is one line ending in `\n`
//! (`\r\n` is accepted on read). The Kansas header holds 80 bytes of fields and the
//! trailer 63; the `DTL` fields add up to 2250 with Kansas's 25-byte `DOCUMENT_IMAGE_TEXT`,
//! which is kept in its place (written blank, never read) so the start date after it stays
//! where Kansas puts it. The document code in positions 1–3 says which layout a line uses.

use ivd_fixed::{DateBlank, Field, FieldKind, Layout};

/// A date that may be blank (spaces or zeros; written as spaces).
const DATE_OR_BLANK: FieldKind = FieldKind::Date {
    blank: DateBlank::Spaces,
};
/// An amount: 11 zero-filled digits, implied cents (Kansas writes `00000000000`).
const AMOUNT: FieldKind = FieldKind::Amount { decimals: 2 };
/// A number that may be blank (an optional amount or code written as spaces when absent).
const OPTIONAL_NUMBER: FieldKind = FieldKind::Number {
    blank_allowed: true,
};

/// Every layout, for tests and tools.
pub static ALL: [&Layout; 4] = [&HEADER, &TRAILER, &DTL, &ACK];

/// Universal header (Chart D-1): `FHx` file header and `BHx` batch header, 100 bytes.
/// `STATE_FIPS_CODE` is the 5-digit FIPS code (state, then `000` for a state-level sender).
pub static HEADER: Layout = Layout::new(
    "HEADER",
    100,
    &[
        Field::new("DOCUMENT_CODE", 1, 3, FieldKind::REQUIRED_TEXT), // [C]
        Field::new("CONTROL_NUMBER", 4, 22, FieldKind::REQUIRED_TEXT), // [C]
        Field::new("STATE_FIPS_CODE", 26, 5, FieldKind::TEXT),       // [K]
        Field::new("EIN", 31, 9, FieldKind::TEXT),                   // [K]
        Field::new("PRIMARY_EIN", 40, 9, FieldKind::TEXT),           // [K]
        Field::new("CREATION_DATE", 49, 8, FieldKind::DATE),         // [K]
        Field::new("CREATION_TIME", 57, 6, FieldKind::NUMBER),       // [K]
        Field::new("ERROR_FIELD_NAME", 63, 18, FieldKind::TEXT),     // [K]
        Field::new("FILLER", 81, 20, FieldKind::Filler),             // [P]
    ],
);
const _: () = HEADER.assert_valid();

/// Universal trailer (Chart D-2): `FTx` file trailer and `BTx` batch trailer, 100 bytes.
pub static TRAILER: Layout = Layout::new(
    "TRAILER",
    100,
    &[
        Field::new("DOCUMENT_CODE", 1, 3, FieldKind::REQUIRED_TEXT), // [C]
        Field::new("CONTROL_NUMBER", 4, 22, FieldKind::REQUIRED_TEXT), // [C]
        Field::new("BATCH_COUNT", 26, 5, FieldKind::NUMBER),         // [K]
        Field::new("RECORD_COUNT", 31, 5, FieldKind::NUMBER),        // [K]
        Field::new("EMPLOYER_SENT_COUNT", 36, 5, FieldKind::NUMBER), // [K]
        Field::new("STATE_SENT_COUNT", 41, 5, FieldKind::NUMBER),    // [K]
        Field::new("ERROR_FIELD_NAME", 46, 18, FieldKind::TEXT),     // [K]
        Field::new("FILLER", 64, 37, FieldKind::Filler),             // [P]
    ],
);
const _: () = TRAILER.assert_valid();

/// e-IWO detail record (Chart D-3), `DTL`.
pub static DTL: Layout = Layout::new(
    "DTL",
    2250,
    &[
        Field::new("DOCUMENT_CODE", 1, 3, FieldKind::Literal("DTL")), // [C]
        Field::new("FILLER_1", 4, 3, FieldKind::Filler),              // [C]
        Field::new("DOCUMENT_ACTION_CODE", 7, 3, FieldKind::REQUIRED_TEXT), // [C]
        Field::new("DOCUMENT_DATE", 10, 8, FieldKind::DATE),          // [C]
        Field::new(
            "ISSUING_STATE_TRIBE_TERRITORY_NAME",
            18,
            35,
            FieldKind::REQUIRED_TEXT,
        ), // [C]
        Field::new("ISSUING_JURISDICTION_NAME", 53, 35, FieldKind::TEXT), // [C]
        Field::new("CASE_IDENTIFIER", 88, 15, FieldKind::REQUIRED_TEXT), // [C]
        Field::new("EMPLOYER_NAME", 103, 57, FieldKind::REQUIRED_TEXT), // [C]
        Field::new("EMPLOYER_ADDRESS_LINE_1", 160, 25, FieldKind::TEXT), // [C]
        Field::new("EMPLOYER_ADDRESS_LINE_2", 185, 25, FieldKind::TEXT), // [K]
        Field::new("EMPLOYER_ADDRESS_CITY_NAME", 210, 22, FieldKind::TEXT), // [K]
        Field::new("EMPLOYER_ADDRESS_STATE_CODE", 232, 2, FieldKind::TEXT), // [K]
        Field::new("EMPLOYER_ADDRESS_ZIP_CODE", 234, 5, FieldKind::TEXT), // [K]
        Field::new("EMPLOYER_ADDRESS_EXT_ZIP_CODE", 239, 4, FieldKind::TEXT), // [K]
        Field::new("EIN", 243, 9, FieldKind::REQUIRED_TEXT),          // [K]
        Field::new("EMPLOYEE_LAST_NAME", 252, 20, FieldKind::TEXT),   // [K]
        Field::new("EMPLOYEE_FIRST_NAME", 272, 15, FieldKind::TEXT),  // [K]
        Field::new("EMPLOYEE_MIDDLE_NAME", 287, 15, FieldKind::TEXT), // [K]
        Field::new("EMPLOYEE_SUFFIX", 302, 4, FieldKind::TEXT),       // [K]
        Field::new("EMPLOYEE_SSN", 306, 9, FieldKind::REQUIRED_TEXT), // [K]
        Field::new("EMPLOYEE_BIRTH_DATE", 315, 8, DATE_OR_BLANK),     // [K]
        Field::new("OBLIGEE_LAST_NAME", 323, 57, FieldKind::TEXT),    // [K]
        Field::new("OBLIGEE_FIRST_NAME", 380, 15, FieldKind::TEXT),   // [K]
        Field::new("OBLIGEE_MIDDLE_NAME", 395, 15, FieldKind::TEXT),  // [K]
        Field::new("OBLIGEE_SUFFIX", 410, 4, FieldKind::TEXT),        // [K]
        Field::new("ISSUING_TRIBUNAL_NAME", 414, 35, FieldKind::TEXT), // [K]
        Field::new("SUPPORT_CURRENT_CHILD_AMOUNT", 449, 11, AMOUNT),  // [K]
        Field::new("SUPPORT_CURRENT_CHILD_FREQUENCY", 460, 1, FieldKind::TEXT), // [K]
        Field::new("SUPPORT_PAST_DUE_CHILD_AMOUNT", 461, 11, AMOUNT), // [K]
        Field::new("SUPPORT_PAST_DUE_CHILD_FREQUENCY", 472, 1, FieldKind::TEXT), // [K]
        Field::new("SUPPORT_CURRENT_MEDICAL_AMOUNT", 473, 11, AMOUNT), // [K]
        Field::new("SUPPORT_CURRENT_MEDICAL_FREQUENCY", 484, 1, FieldKind::TEXT), // [K]
        Field::new("SUPPORT_PAST_DUE_MEDICAL_AMOUNT", 485, 11, AMOUNT), // [K]
        Field::new(
            "SUPPORT_PAST_DUE_MEDICAL_FREQUENCY",
            496,
            1,
            FieldKind::TEXT,
        ), // [K]
        Field::new("SUPPORT_CURRENT_SPOUSAL_AMOUNT", 497, 11, AMOUNT), // [K]
        Field::new("SUPPORT_CURRENT_SPOUSAL_FREQUENCY", 508, 1, FieldKind::TEXT), // [K]
        Field::new("SUPPORT_PAST_DUE_SPOUSAL_AMOUNT", 509, 11, AMOUNT), // [K]
        Field::new(
            "SUPPORT_PAST_DUE_SPOUSAL_FREQUENCY",
            520,
            1,
            FieldKind::TEXT,
        ), // [K]
        Field::new("OBLIGATION_OTHER_AMOUNT", 521, 11, AMOUNT),       // [K]
        Field::new("OBLIGATION_OTHER_FREQUENCY", 532, 1, FieldKind::TEXT), // [K]
        Field::new("OBLIGATION_OTHER_DESCRIPTION", 533, 35, FieldKind::TEXT), // [K]
        Field::new("OBLIGATION_TOTAL_AMOUNT", 568, 11, AMOUNT),       // [K]
        Field::new("OBLIGATION_TOTAL_FREQUENCY", 579, 1, FieldKind::TEXT), // [K]
        Field::new("ARREARS_12_WEEK_OVERDUE_CODE", 580, 1, FieldKind::TEXT), // [K]
        Field::new("IWO_DEDUCTION_WEEKLY_AMOUNT", 581, 11, AMOUNT),   // [K]
        Field::new("IWO_DEDUCTION_BIWEEKLY_AMOUNT", 592, 11, AMOUNT), // [K]
        Field::new("IWO_DEDUCTION_SEMIMONTHLY_AMOUNT", 603, 11, AMOUNT), // [K]
        Field::new("IWO_DEDUCTION_MONTHLY_AMOUNT", 614, 11, AMOUNT),  // [K]
        Field::new("STATE_TRIBE_TERRITORY_NAME", 625, 35, FieldKind::TEXT), // [K]
        Field::new("BEGIN_WITHHOLDING_WITHIN_DAYS", 660, 2, FieldKind::NUMBER), // [K]
        Field::new(
            "INCOME_WITHHOLDING_START_INSTRUCTIONS",
            662,
            8,
            FieldKind::TEXT,
        ), // [K]
        Field::new("SEND_PAYMENT_WITHIN_DAYS", 670, 2, FieldKind::NUMBER), // [K]
        Field::new("IWO_CCPA_PERCENT_RATE", 672, 2, FieldKind::NUMBER), // [K]
        Field::new("PAYEE_NAME", 674, 57, FieldKind::REQUIRED_TEXT),  // [K]
        Field::new("PAYEE_ADDRESS_LINE_1", 731, 25, FieldKind::TEXT), // [K]
        Field::new("PAYEE_ADDRESS_LINE_2", 756, 25, FieldKind::TEXT), // [K]
        Field::new("PAYEE_ADDRESS_CITY_NAME", 781, 22, FieldKind::TEXT), // [K]
        Field::new("PAYEE_ADDRESS_STATE_CODE", 803, 2, FieldKind::TEXT), // [K]
        Field::new("PAYEE_ADDRESS_ZIP_CODE", 805, 5, FieldKind::TEXT), // [K]
        Field::new("PAYEE_ADDRESS_EXT_ZIP_CODE", 810, 4, FieldKind::TEXT), // [K]
        Field::new(
            "PAYEE_REMITTANCE_FIPS_CODE",
            814,
            7,
            FieldKind::REQUIRED_TEXT,
        ), // [K]
        Field::new("GOVERNMENT_OFFICIAL_NAME", 821, 70, FieldKind::TEXT), // [K]
        Field::new("ISSUING_OFFICIAL_TITLE", 891, 50, FieldKind::TEXT), // [K]
        Field::new("SEND_EMPLOYEE_COPY_INDICATOR", 941, 1, FieldKind::TEXT), // [K]
        Field::new("PENALTY_LIABILITY_INFO_TEXT", 942, 160, FieldKind::TEXT), // [K]
        Field::new(
            "ANTIDISCRIMINATION_PROVISION_TEXT",
            1102,
            160,
            FieldKind::TEXT,
        ), // [K]
        Field::new(
            "SPECIFIC_PAYEE_WITHHOLDING_LIMIT",
            1262,
            160,
            FieldKind::TEXT,
        ), // [K]
        Field::new("EMPLOYEE_STATE_CONTACT_NAME", 1422, 57, FieldKind::TEXT), // [K]
        Field::new("EMPLOYEE_STATE_CONTACT_PHONE", 1479, 10, FieldKind::TEXT), // [K]
        Field::new("EMPLOYEE_STATE_CONTACT_FAX", 1489, 10, FieldKind::TEXT), // [K]
        Field::new("EMPLOYEE_STATE_CONTACT_EMAIL", 1499, 48, FieldKind::TEXT), // [K]
        Field::new(
            "DOCUMENT_TRACKING_NUMBER",
            1547,
            30,
            FieldKind::REQUIRED_TEXT,
        ), // [K]
        Field::new("ORDER_IDENTIFIER", 1577, 30, FieldKind::REQUIRED_TEXT), // [K]
        Field::new("EMPLOYER_CONTACT_NAME", 1607, 57, FieldKind::TEXT), // [K]
        Field::new("EMPLOYER_CONTACT_ADDRESS_LINE_1", 1664, 25, FieldKind::TEXT), // [K]
        Field::new("EMPLOYER_CONTACT_ADDRESS_LINE_2", 1689, 25, FieldKind::TEXT), // [K]
        Field::new(
            "EMPLOYER_CONTACT_ADDRESS_CITY_NAME",
            1714,
            22,
            FieldKind::TEXT,
        ), // [K]
        Field::new(
            "EMPLOYER_CONTACT_ADDRESS_STATE_CODE",
            1736,
            2,
            FieldKind::TEXT,
        ), // [K]
        Field::new(
            "EMPLOYER_CONTACT_ADDRESS_ZIP_CODE",
            1738,
            5,
            FieldKind::TEXT,
        ), // [K]
        Field::new(
            "EMPLOYER_CONTACT_ADDRESS_EXT_ZIP_CODE",
            1743,
            4,
            FieldKind::TEXT,
        ), // [K]
        Field::new("EMPLOYER_CONTACT_PHONE", 1747, 10, FieldKind::TEXT), // [K]
        Field::new("EMPLOYER_CONTACT_FAX", 1757, 10, FieldKind::TEXT), // [K]
        Field::new("EMPLOYER_CONTACT_EMAIL", 1767, 48, FieldKind::TEXT), // [K]
        Field::new("CHILD1_LAST_NAME", 1815, 20, FieldKind::TEXT),    // [K]
        Field::new("CHILD1_FIRST_NAME", 1835, 15, FieldKind::TEXT),   // [K]
        Field::new("CHILD1_MIDDLE_NAME", 1850, 15, FieldKind::TEXT),  // [K]
        Field::new("CHILD1_SUFFIX", 1865, 4, FieldKind::TEXT),        // [K]
        Field::new("CHILD1_BIRTH_DATE", 1869, 8, DATE_OR_BLANK),      // [K]
        Field::new("CHILD2_LAST_NAME", 1877, 20, FieldKind::TEXT),    // [K]
        Field::new("CHILD2_FIRST_NAME", 1897, 15, FieldKind::TEXT),   // [K]
        Field::new("CHILD2_MIDDLE_NAME", 1912, 15, FieldKind::TEXT),  // [K]
        Field::new("CHILD2_SUFFIX", 1927, 4, FieldKind::TEXT),        // [K]
        Field::new("CHILD2_BIRTH_DATE", 1931, 8, DATE_OR_BLANK),      // [K]
        Field::new("CHILD3_LAST_NAME", 1939, 20, FieldKind::TEXT),    // [K]
        Field::new("CHILD3_FIRST_NAME", 1959, 15, FieldKind::TEXT),   // [K]
        Field::new("CHILD3_MIDDLE_NAME", 1974, 15, FieldKind::TEXT),  // [K]
        Field::new("CHILD3_SUFFIX", 1989, 4, FieldKind::TEXT),        // [K]
        Field::new("CHILD3_BIRTH_DATE", 1993, 8, DATE_OR_BLANK),      // [K]
        Field::new("CHILD4_LAST_NAME", 2001, 20, FieldKind::TEXT),    // [K]
        Field::new("CHILD4_FIRST_NAME", 2021, 15, FieldKind::TEXT),   // [K]
        Field::new("CHILD4_MIDDLE_NAME", 2036, 15, FieldKind::TEXT),  // [K]
        Field::new("CHILD4_SUFFIX", 2051, 4, FieldKind::TEXT),        // [K]
        Field::new("CHILD4_BIRTH_DATE", 2055, 8, DATE_OR_BLANK),      // [K]
        Field::new("CHILD5_LAST_NAME", 2063, 20, FieldKind::TEXT),    // [K]
        Field::new("CHILD5_FIRST_NAME", 2083, 15, FieldKind::TEXT),   // [K]
        Field::new("CHILD5_MIDDLE_NAME", 2098, 15, FieldKind::TEXT),  // [K]
        Field::new("CHILD5_SUFFIX", 2113, 4, FieldKind::TEXT),        // [K]
        Field::new("CHILD5_BIRTH_DATE", 2117, 8, DATE_OR_BLANK),      // [K]
        Field::new("CHILD6_LAST_NAME", 2125, 20, FieldKind::TEXT),    // [K]
        Field::new("CHILD6_FIRST_NAME", 2145, 15, FieldKind::TEXT),   // [K]
        Field::new("CHILD6_MIDDLE_NAME", 2160, 15, FieldKind::TEXT),  // [K]
        Field::new("CHILD6_SUFFIX", 2175, 4, FieldKind::TEXT),        // [K]
        Field::new("CHILD6_BIRTH_DATE", 2179, 8, DATE_OR_BLANK),      // [K]
        Field::new("LUMP_SUM_PAYMENT_AMOUNT", 2187, 11, OPTIONAL_NUMBER), // [K]
        Field::new("REMITTANCE_IDENTIFIER", 2198, 20, FieldKind::REQUIRED_TEXT), // [K]
        Field::new("DOCUMENT_IMAGE_TEXT", 2218, 25, FieldKind::TEXT), // [K]
        Field::new("INCOME_WITHHOLDING_START_DATE", 2243, 8, DATE_OR_BLANK), // [K]
    ],
);
const _: () = DTL.assert_valid();

/// Employer acknowledgment record (Chart D-4), `ACK`.
pub static ACK: Layout = Layout::new(
    "ACK",
    550,
    &[
        Field::new("DOCUMENT_CODE", 1, 3, FieldKind::Literal("ACK")), // [C]
        Field::new("DOCUMENT_ACTION_CODE", 4, 3, FieldKind::REQUIRED_TEXT), // [C10]
        Field::new("CASE_IDENTIFIER", 7, 15, FieldKind::REQUIRED_TEXT), // [P]
        Field::new("EIN", 22, 9, FieldKind::REQUIRED_TEXT),           // [P]
        Field::new("EMPLOYEE_LAST_NAME", 31, 20, FieldKind::TEXT),    // [P]
        Field::new("EMPLOYEE_FIRST_NAME", 51, 15, FieldKind::TEXT),   // [P]
        Field::new("EMPLOYEE_MIDDLE_NAME", 66, 15, FieldKind::TEXT),  // [P]
        Field::new("EMPLOYEE_SUFFIX", 81, 4, FieldKind::TEXT),        // [P]
        Field::new("EMPLOYEE_SSN", 85, 9, FieldKind::TEXT),           // [P]
        Field::new("DOCUMENT_TRACKING_NUMBER", 94, 30, FieldKind::TEXT), // [KL]
        Field::new("ORDER_IDENTIFIER", 124, 30, FieldKind::TEXT),     // [P]
        Field::new("DISPOSITION_STATUS_CODE", 154, 2, FieldKind::REQUIRED_TEXT), // [KL]
        Field::new("DISPOSITION_REASON_CODE", 156, 3, FieldKind::TEXT), // [KL]
        Field::new("TERMINATION_DATE", 159, 8, DATE_OR_BLANK),        // [P]
        Field::new("FINAL_PAYMENT_DATE", 167, 8, DATE_OR_BLANK),      // [P]
        Field::new("FINAL_PAYMENT_AMOUNT", 175, 11, OPTIONAL_NUMBER), // [P]
        Field::new("NCP_LAST_KNOWN_ADDRESS_LINE_1", 186, 25, FieldKind::TEXT), // [P]
        Field::new("NCP_LAST_KNOWN_ADDRESS_LINE_2", 211, 25, FieldKind::TEXT), // [P]
        Field::new("NCP_LAST_KNOWN_ADDRESS_CITY_NAME", 236, 22, FieldKind::TEXT), // [P]
        Field::new("NCP_LAST_KNOWN_ADDRESS_STATE_CODE", 258, 2, FieldKind::TEXT), // [P]
        Field::new("NCP_LAST_KNOWN_ADDRESS_ZIP_CODE", 260, 5, FieldKind::TEXT), // [P]
        Field::new(
            "NCP_LAST_KNOWN_ADDRESS_EXT_ZIP_CODE",
            265,
            4,
            FieldKind::TEXT,
        ), // [P]
        Field::new("NCP_LAST_KNOWN_PHONE", 269, 10, FieldKind::TEXT), // [P]
        Field::new("NEW_EMPLOYER_NAME", 279, 57, FieldKind::TEXT),    // [P]
        Field::new("NEW_EMPLOYER_ADDRESS_LINE_1", 336, 25, FieldKind::TEXT), // [P]
        Field::new("NEW_EMPLOYER_ADDRESS_LINE_2", 361, 25, FieldKind::TEXT), // [P]
        Field::new("NEW_EMPLOYER_ADDRESS_CITY_NAME", 386, 22, FieldKind::TEXT), // [P]
        Field::new("NEW_EMPLOYER_ADDRESS_STATE_CODE", 408, 2, FieldKind::TEXT), // [P]
        Field::new("NEW_EMPLOYER_ADDRESS_ZIP_CODE", 410, 5, FieldKind::TEXT), // [P]
        Field::new("NEW_EMPLOYER_ADDRESS_EXT_ZIP_CODE", 415, 4, FieldKind::TEXT), // [P]
        Field::new("LUMP_SUM_DATE", 419, 8, DATE_OR_BLANK),           // [P]
        Field::new("LUMP_SUM_AMOUNT", 427, 11, OPTIONAL_NUMBER),      // [P]
        Field::new("LUMP_SUM_TYPE", 438, 35, FieldKind::TEXT),        // [KL]
        Field::new("MULTIPLE_IWO_STATE_CODE", 473, 2, FieldKind::TEXT), // [KL]
        Field::new("FIRST_ERROR_FIELD_NAME", 475, 32, FieldKind::TEXT), // [KL]
        Field::new("SECOND_ERROR_FIELD_NAME", 507, 32, FieldKind::TEXT), // [KL]
        Field::new("MULTIPLE_ERROR_INDICATOR", 539, 1, FieldKind::TEXT), // [KL]
        Field::new("FILLER_END", 540, 11, FieldKind::Filler),         // [P]
    ],
);
const _: () = ACK.assert_valid();
