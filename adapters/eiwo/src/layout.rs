//! Every e-IWO record type, declared **once** as a static [`ivd_fixed::Layout`] used by the
//! reader and the writer.
//!
//! ## Which positions are verified
//!
//! Only part of Chart D-3 was read (spec §1.3, \[V2\]): the DTL document code 1–3, filler
//! 4–6, action 7–9, document date 10–17, issuing state/Tribe/territory name 18–52,
//! issuing jurisdiction 53–87, case id 88–102, employer name 103–159 and employer address
//! line 1 160–184, and the header control number 4–25 (Chart D-1). Those rows carry the
//! comment `// \[V2\]`. Every other row is a **proposed** layout, `// \[P\]`: the field order is
//! the one of the Kansas code that mirrors the federal layout (spec §1.2–§1.4, \[V\]), the
//! lengths are sensible guesses (names 20/15/15/4, SSN 9, dates `CCYYMMDD`, amounts 11
//! digits with implied cents, frequencies 2, addresses 25, city 22, ZIP 5 + 4, phone 10,
//! email 48, tracking number 12, order id 30). When Charts D-1 to D-4 are obtained, fixing a
//! row is one edit here (and one row of the README table); the compile-time check
//! ([`Layout::assert_valid`]) and the tests catch a table that no longer adds up.
//!
//! ## Record lengths and framing \[P\]
//!
//! Each record type has its own length (header and trailer 100, `DTL` 2250, `ACK` 550 —
//! the proposed fields, padded to a round length with `FILLER_END`), and every record is
//! one line ending in `\n` (`\r\n` is accepted on read). The document code in positions 1–3
//! says which layout a line uses. Chart D-3's embedded image (`DocumentImageText`) is not in
//! the flat layout: images travel with the PDF/XML option.

use ivd_fixed::{DateBlank, Field, FieldKind, Layout};

/// A date that may be blank (spaces or zeros; written as spaces).
const DATE_OR_BLANK: FieldKind = FieldKind::Date {
    blank: DateBlank::Spaces,
};
/// An amount: 11 zero-filled digits, implied cents (Kansas writes `00000000000`, \[V\]).
const AMOUNT: FieldKind = FieldKind::Amount { decimals: 2 };
/// A number that may be blank (an optional amount or code written as spaces when absent).
const OPTIONAL_NUMBER: FieldKind = FieldKind::Number {
    blank_allowed: true,
};

/// Every layout, for tests and tools.
pub static ALL: [&Layout; 4] = [&HEADER, &TRAILER, &DTL, &ACK];

/// Universal header (Chart D-1): `FHx` file header and `BHx` batch header, 100 bytes.
pub static HEADER: Layout = Layout::new(
    "HEADER",
    100,
    &[
        Field::new("DOCUMENT_CODE", 1, 3, FieldKind::REQUIRED_TEXT), // [V2]
        Field::new("CONTROL_NUMBER", 4, 22, FieldKind::REQUIRED_TEXT), // [V2]
        Field::new("STATE_FIPS_CODE", 26, 2, OPTIONAL_NUMBER),       // [P]
        Field::new("EIN", 28, 9, FieldKind::TEXT),                   // [P]
        Field::new("PRIMARY_EIN", 37, 9, FieldKind::TEXT),           // [P]
        Field::new("CREATION_DATE", 46, 8, FieldKind::DATE),         // [P]
        Field::new("CREATION_TIME", 54, 6, FieldKind::NUMBER),       // [P]
        Field::new("ERROR_FIELD_NAME", 60, 32, FieldKind::TEXT),     // [P]
        Field::new("FILLER", 92, 9, FieldKind::Filler),              // [P]
    ],
);
const _: () = HEADER.assert_valid();

/// Universal trailer (Chart D-2): `FTx` file trailer and `BTx` batch trailer, 100 bytes.
pub static TRAILER: Layout = Layout::new(
    "TRAILER",
    100,
    &[
        Field::new("DOCUMENT_CODE", 1, 3, FieldKind::REQUIRED_TEXT), // [V2]
        Field::new("CONTROL_NUMBER", 4, 22, FieldKind::REQUIRED_TEXT), // [V2]
        Field::new("BATCH_COUNT", 26, 9, FieldKind::NUMBER),         // [P]
        Field::new("RECORD_COUNT", 35, 9, FieldKind::NUMBER),        // [P]
        Field::new("EMPLOYER_SENT_COUNT", 44, 9, FieldKind::NUMBER), // [P]
        Field::new("STATE_SENT_COUNT", 53, 9, FieldKind::NUMBER),    // [P]
        Field::new("ERROR_FIELD_NAME", 62, 32, FieldKind::TEXT),     // [P]
        Field::new("FILLER", 94, 7, FieldKind::Filler),              // [P]
    ],
);
const _: () = TRAILER.assert_valid();

/// e-IWO detail record (Chart D-3), `DTL`.
pub static DTL: Layout = Layout::new(
    "DTL",
    2250,
    &[
        Field::new("DOCUMENT_CODE", 1, 3, FieldKind::Literal("DTL")), // [V2]
        Field::new("FILLER_1", 4, 3, FieldKind::Filler),              // [V2]
        Field::new("DOCUMENT_ACTION_CODE", 7, 3, FieldKind::REQUIRED_TEXT), // [V2]
        Field::new("DOCUMENT_DATE", 10, 8, FieldKind::DATE),          // [V2]
        Field::new(
            "ISSUING_STATE_TRIBE_TERRITORY_NAME",
            18,
            35,
            FieldKind::REQUIRED_TEXT,
        ), // [V2]
        Field::new("ISSUING_JURISDICTION_NAME", 53, 35, FieldKind::TEXT), // [V2]
        Field::new("CASE_IDENTIFIER", 88, 15, FieldKind::REQUIRED_TEXT), // [V2]
        Field::new("EMPLOYER_NAME", 103, 57, FieldKind::REQUIRED_TEXT), // [V2]
        Field::new("EMPLOYER_ADDRESS_LINE_1", 160, 25, FieldKind::TEXT), // [V2]
        Field::new("EMPLOYER_ADDRESS_LINE_2", 185, 25, FieldKind::TEXT), // [P]
        Field::new("EMPLOYER_ADDRESS_CITY_NAME", 210, 22, FieldKind::TEXT), // [P]
        Field::new("EMPLOYER_ADDRESS_STATE_CODE", 232, 2, FieldKind::TEXT), // [P]
        Field::new("EMPLOYER_ADDRESS_ZIP_CODE", 234, 5, FieldKind::TEXT), // [P]
        Field::new("EMPLOYER_ADDRESS_EXT_ZIP_CODE", 239, 4, FieldKind::TEXT), // [P]
        Field::new("EIN", 243, 9, FieldKind::REQUIRED_TEXT),          // [P]
        Field::new("EMPLOYEE_LAST_NAME", 252, 20, FieldKind::TEXT),   // [P]
        Field::new("EMPLOYEE_FIRST_NAME", 272, 15, FieldKind::TEXT),  // [P]
        Field::new("EMPLOYEE_MIDDLE_NAME", 287, 15, FieldKind::TEXT), // [P]
        Field::new("EMPLOYEE_SUFFIX", 302, 4, FieldKind::TEXT),       // [P]
        Field::new("EMPLOYEE_SSN", 306, 9, FieldKind::REQUIRED_TEXT), // [P]
        Field::new("EMPLOYEE_BIRTH_DATE", 315, 8, DATE_OR_BLANK),     // [P]
        Field::new("OBLIGEE_LAST_NAME", 323, 20, FieldKind::TEXT),    // [P]
        Field::new("OBLIGEE_FIRST_NAME", 343, 15, FieldKind::TEXT),   // [P]
        Field::new("OBLIGEE_MIDDLE_NAME", 358, 15, FieldKind::TEXT),  // [P]
        Field::new("OBLIGEE_SUFFIX", 373, 4, FieldKind::TEXT),        // [P]
        Field::new("ISSUING_TRIBUNAL_NAME", 377, 35, FieldKind::TEXT), // [P]
        Field::new("SUPPORT_CURRENT_CHILD_AMOUNT", 412, 11, AMOUNT),  // [P]
        Field::new("SUPPORT_CURRENT_CHILD_FREQUENCY", 423, 2, FieldKind::TEXT), // [P]
        Field::new("SUPPORT_PAST_DUE_CHILD_AMOUNT", 425, 11, AMOUNT), // [P]
        Field::new("SUPPORT_PAST_DUE_CHILD_FREQUENCY", 436, 2, FieldKind::TEXT), // [P]
        Field::new("SUPPORT_CURRENT_MEDICAL_AMOUNT", 438, 11, AMOUNT), // [P]
        Field::new("SUPPORT_CURRENT_MEDICAL_FREQUENCY", 449, 2, FieldKind::TEXT), // [P]
        Field::new("SUPPORT_PAST_DUE_MEDICAL_AMOUNT", 451, 11, AMOUNT), // [P]
        Field::new(
            "SUPPORT_PAST_DUE_MEDICAL_FREQUENCY",
            462,
            2,
            FieldKind::TEXT,
        ), // [P]
        Field::new("SUPPORT_CURRENT_SPOUSAL_AMOUNT", 464, 11, AMOUNT), // [P]
        Field::new("SUPPORT_CURRENT_SPOUSAL_FREQUENCY", 475, 2, FieldKind::TEXT), // [P]
        Field::new("SUPPORT_PAST_DUE_SPOUSAL_AMOUNT", 477, 11, AMOUNT), // [P]
        Field::new(
            "SUPPORT_PAST_DUE_SPOUSAL_FREQUENCY",
            488,
            2,
            FieldKind::TEXT,
        ), // [P]
        Field::new("OBLIGATION_OTHER_AMOUNT", 490, 11, AMOUNT),       // [P]
        Field::new("OBLIGATION_OTHER_FREQUENCY", 501, 2, FieldKind::TEXT), // [P]
        Field::new("OBLIGATION_OTHER_DESCRIPTION", 503, 35, FieldKind::TEXT), // [P]
        Field::new("OBLIGATION_TOTAL_AMOUNT", 538, 11, AMOUNT),       // [P]
        Field::new("OBLIGATION_TOTAL_FREQUENCY", 549, 2, FieldKind::TEXT), // [P]
        Field::new("ARREARS_12_WEEK_OVERDUE_CODE", 551, 1, FieldKind::TEXT), // [P]
        Field::new("IWO_DEDUCTION_WEEKLY_AMOUNT", 552, 11, AMOUNT),   // [P]
        Field::new("IWO_DEDUCTION_BIWEEKLY_AMOUNT", 563, 11, AMOUNT), // [P]
        Field::new("IWO_DEDUCTION_SEMIMONTHLY_AMOUNT", 574, 11, AMOUNT), // [P]
        Field::new("IWO_DEDUCTION_MONTHLY_AMOUNT", 585, 11, AMOUNT),  // [P]
        Field::new("STATE_TRIBE_TERRITORY_NAME", 596, 35, FieldKind::TEXT), // [P]
        Field::new("BEGIN_WITHHOLDING_WITHIN_DAYS", 631, 2, FieldKind::NUMBER), // [P]
        Field::new(
            "INCOME_WITHHOLDING_START_INSTRUCTIONS",
            633,
            80,
            FieldKind::TEXT,
        ), // [P]
        Field::new("SEND_PAYMENT_WITHIN_DAYS", 713, 2, FieldKind::NUMBER), // [P]
        Field::new("IWO_CCPA_PERCENT_RATE", 715, 2, FieldKind::NUMBER), // [P]
        Field::new("PAYEE_NAME", 717, 57, FieldKind::REQUIRED_TEXT),  // [P]
        Field::new("PAYEE_ADDRESS_LINE_1", 774, 25, FieldKind::TEXT), // [P]
        Field::new("PAYEE_ADDRESS_LINE_2", 799, 25, FieldKind::TEXT), // [P]
        Field::new("PAYEE_ADDRESS_CITY_NAME", 824, 22, FieldKind::TEXT), // [P]
        Field::new("PAYEE_ADDRESS_STATE_CODE", 846, 2, FieldKind::TEXT), // [P]
        Field::new("PAYEE_ADDRESS_ZIP_CODE", 848, 5, FieldKind::TEXT), // [P]
        Field::new("PAYEE_ADDRESS_EXT_ZIP_CODE", 853, 4, FieldKind::TEXT), // [P]
        Field::new(
            "PAYEE_REMITTANCE_FIPS_CODE",
            857,
            7,
            FieldKind::REQUIRED_TEXT,
        ), // [P]
        Field::new("REMITTANCE_IDENTIFIER", 864, 20, FieldKind::REQUIRED_TEXT), // [P]
        Field::new("GOVERNMENT_OFFICIAL_NAME", 884, 70, FieldKind::TEXT), // [P]
        Field::new("ISSUING_OFFICIAL_TITLE", 954, 50, FieldKind::TEXT), // [P]
        Field::new("SEND_EMPLOYEE_COPY_INDICATOR", 1004, 1, FieldKind::TEXT), // [P]
        Field::new("PENALTY_LIABILITY_INFO_TEXT", 1005, 160, FieldKind::TEXT), // [P]
        Field::new(
            "ANTIDISCRIMINATION_PROVISION_TEXT",
            1165,
            160,
            FieldKind::TEXT,
        ), // [P]
        Field::new(
            "SPECIFIC_PAYEE_WITHHOLDING_LIMIT",
            1325,
            160,
            FieldKind::TEXT,
        ), // [P]
        Field::new("EMPLOYEE_STATE_CONTACT_NAME", 1485, 57, FieldKind::TEXT), // [P]
        Field::new("EMPLOYEE_STATE_CONTACT_PHONE", 1542, 10, FieldKind::TEXT), // [P]
        Field::new("EMPLOYEE_STATE_CONTACT_FAX", 1552, 10, FieldKind::TEXT), // [P]
        Field::new("EMPLOYEE_STATE_CONTACT_EMAIL", 1562, 48, FieldKind::TEXT), // [P]
        Field::new("EMPLOYER_CONTACT_NAME", 1610, 57, FieldKind::TEXT), // [P]
        Field::new("EMPLOYER_CONTACT_ADDRESS_LINE_1", 1667, 25, FieldKind::TEXT), // [P]
        Field::new("EMPLOYER_CONTACT_ADDRESS_LINE_2", 1692, 25, FieldKind::TEXT), // [P]
        Field::new(
            "EMPLOYER_CONTACT_ADDRESS_CITY_NAME",
            1717,
            22,
            FieldKind::TEXT,
        ), // [P]
        Field::new(
            "EMPLOYER_CONTACT_ADDRESS_STATE_CODE",
            1739,
            2,
            FieldKind::TEXT,
        ), // [P]
        Field::new(
            "EMPLOYER_CONTACT_ADDRESS_ZIP_CODE",
            1741,
            5,
            FieldKind::TEXT,
        ), // [P]
        Field::new(
            "EMPLOYER_CONTACT_ADDRESS_EXT_ZIP_CODE",
            1746,
            4,
            FieldKind::TEXT,
        ), // [P]
        Field::new("EMPLOYER_CONTACT_PHONE", 1750, 10, FieldKind::TEXT), // [P]
        Field::new("EMPLOYER_CONTACT_FAX", 1760, 10, FieldKind::TEXT), // [P]
        Field::new("EMPLOYER_CONTACT_EMAIL", 1770, 48, FieldKind::TEXT), // [P]
        Field::new(
            "DOCUMENT_TRACKING_NUMBER",
            1818,
            12,
            FieldKind::REQUIRED_TEXT,
        ), // [P]
        Field::new("ORDER_IDENTIFIER", 1830, 30, FieldKind::REQUIRED_TEXT), // [P]
        Field::new("CHILD1_LAST_NAME", 1860, 20, FieldKind::TEXT),    // [P]
        Field::new("CHILD1_FIRST_NAME", 1880, 15, FieldKind::TEXT),   // [P]
        Field::new("CHILD1_MIDDLE_NAME", 1895, 15, FieldKind::TEXT),  // [P]
        Field::new("CHILD1_SUFFIX", 1910, 4, FieldKind::TEXT),        // [P]
        Field::new("CHILD1_BIRTH_DATE", 1914, 8, DATE_OR_BLANK),      // [P]
        Field::new("CHILD2_LAST_NAME", 1922, 20, FieldKind::TEXT),    // [P]
        Field::new("CHILD2_FIRST_NAME", 1942, 15, FieldKind::TEXT),   // [P]
        Field::new("CHILD2_MIDDLE_NAME", 1957, 15, FieldKind::TEXT),  // [P]
        Field::new("CHILD2_SUFFIX", 1972, 4, FieldKind::TEXT),        // [P]
        Field::new("CHILD2_BIRTH_DATE", 1976, 8, DATE_OR_BLANK),      // [P]
        Field::new("CHILD3_LAST_NAME", 1984, 20, FieldKind::TEXT),    // [P]
        Field::new("CHILD3_FIRST_NAME", 2004, 15, FieldKind::TEXT),   // [P]
        Field::new("CHILD3_MIDDLE_NAME", 2019, 15, FieldKind::TEXT),  // [P]
        Field::new("CHILD3_SUFFIX", 2034, 4, FieldKind::TEXT),        // [P]
        Field::new("CHILD3_BIRTH_DATE", 2038, 8, DATE_OR_BLANK),      // [P]
        Field::new("CHILD4_LAST_NAME", 2046, 20, FieldKind::TEXT),    // [P]
        Field::new("CHILD4_FIRST_NAME", 2066, 15, FieldKind::TEXT),   // [P]
        Field::new("CHILD4_MIDDLE_NAME", 2081, 15, FieldKind::TEXT),  // [P]
        Field::new("CHILD4_SUFFIX", 2096, 4, FieldKind::TEXT),        // [P]
        Field::new("CHILD4_BIRTH_DATE", 2100, 8, DATE_OR_BLANK),      // [P]
        Field::new("CHILD5_LAST_NAME", 2108, 20, FieldKind::TEXT),    // [P]
        Field::new("CHILD5_FIRST_NAME", 2128, 15, FieldKind::TEXT),   // [P]
        Field::new("CHILD5_MIDDLE_NAME", 2143, 15, FieldKind::TEXT),  // [P]
        Field::new("CHILD5_SUFFIX", 2158, 4, FieldKind::TEXT),        // [P]
        Field::new("CHILD5_BIRTH_DATE", 2162, 8, DATE_OR_BLANK),      // [P]
        Field::new("CHILD6_LAST_NAME", 2170, 20, FieldKind::TEXT),    // [P]
        Field::new("CHILD6_FIRST_NAME", 2190, 15, FieldKind::TEXT),   // [P]
        Field::new("CHILD6_MIDDLE_NAME", 2205, 15, FieldKind::TEXT),  // [P]
        Field::new("CHILD6_SUFFIX", 2220, 4, FieldKind::TEXT),        // [P]
        Field::new("CHILD6_BIRTH_DATE", 2224, 8, DATE_OR_BLANK),      // [P]
        Field::new("LUMP_SUM_PAYMENT_AMOUNT", 2232, 11, OPTIONAL_NUMBER), // [P]
        Field::new("INCOME_WITHHOLDING_START_DATE", 2243, 8, DATE_OR_BLANK), // [P]
    ],
);
const _: () = DTL.assert_valid();

/// Employer acknowledgment record (Chart D-4), `ACK`.
pub static ACK: Layout = Layout::new(
    "ACK",
    550,
    &[
        Field::new("DOCUMENT_CODE", 1, 3, FieldKind::Literal("ACK")), // [V2]
        Field::new("FILLER_1", 4, 3, FieldKind::Filler),              // [P]
        Field::new("DOCUMENT_ACTION_CODE", 7, 3, FieldKind::REQUIRED_TEXT), // [P]
        Field::new("CASE_IDENTIFIER", 10, 15, FieldKind::REQUIRED_TEXT), // [P]
        Field::new("EIN", 25, 9, FieldKind::REQUIRED_TEXT),           // [P]
        Field::new("EMPLOYEE_LAST_NAME", 34, 20, FieldKind::TEXT),    // [P]
        Field::new("EMPLOYEE_FIRST_NAME", 54, 15, FieldKind::TEXT),   // [P]
        Field::new("EMPLOYEE_MIDDLE_NAME", 69, 15, FieldKind::TEXT),  // [P]
        Field::new("EMPLOYEE_SUFFIX", 84, 4, FieldKind::TEXT),        // [P]
        Field::new("EMPLOYEE_SSN", 88, 9, FieldKind::TEXT),           // [P]
        Field::new("DOCUMENT_TRACKING_NUMBER", 97, 12, FieldKind::TEXT), // [P]
        Field::new("ORDER_IDENTIFIER", 109, 30, FieldKind::TEXT),     // [P]
        Field::new("DISPOSITION_STATUS_CODE", 139, 1, FieldKind::REQUIRED_TEXT), // [P]
        Field::new("DISPOSITION_REASON_CODE", 140, 1, FieldKind::TEXT), // [P]
        Field::new("TERMINATION_DATE", 141, 8, DATE_OR_BLANK),        // [P]
        Field::new("FINAL_PAYMENT_DATE", 149, 8, DATE_OR_BLANK),      // [P]
        Field::new("FINAL_PAYMENT_AMOUNT", 157, 11, OPTIONAL_NUMBER), // [P]
        Field::new("NCP_LAST_KNOWN_ADDRESS_LINE_1", 168, 25, FieldKind::TEXT), // [P]
        Field::new("NCP_LAST_KNOWN_ADDRESS_LINE_2", 193, 25, FieldKind::TEXT), // [P]
        Field::new("NCP_LAST_KNOWN_ADDRESS_CITY_NAME", 218, 22, FieldKind::TEXT), // [P]
        Field::new("NCP_LAST_KNOWN_ADDRESS_STATE_CODE", 240, 2, FieldKind::TEXT), // [P]
        Field::new("NCP_LAST_KNOWN_ADDRESS_ZIP_CODE", 242, 5, FieldKind::TEXT), // [P]
        Field::new(
            "NCP_LAST_KNOWN_ADDRESS_EXT_ZIP_CODE",
            247,
            4,
            FieldKind::TEXT,
        ), // [P]
        Field::new("NCP_LAST_KNOWN_PHONE", 251, 10, FieldKind::TEXT), // [P]
        Field::new("NEW_EMPLOYER_NAME", 261, 57, FieldKind::TEXT),    // [P]
        Field::new("NEW_EMPLOYER_ADDRESS_LINE_1", 318, 25, FieldKind::TEXT), // [P]
        Field::new("NEW_EMPLOYER_ADDRESS_LINE_2", 343, 25, FieldKind::TEXT), // [P]
        Field::new("NEW_EMPLOYER_ADDRESS_CITY_NAME", 368, 22, FieldKind::TEXT), // [P]
        Field::new("NEW_EMPLOYER_ADDRESS_STATE_CODE", 390, 2, FieldKind::TEXT), // [P]
        Field::new("NEW_EMPLOYER_ADDRESS_ZIP_CODE", 392, 5, FieldKind::TEXT), // [P]
        Field::new("NEW_EMPLOYER_ADDRESS_EXT_ZIP_CODE", 397, 4, FieldKind::TEXT), // [P]
        Field::new("LUMP_SUM_DATE", 401, 8, DATE_OR_BLANK),           // [P]
        Field::new("LUMP_SUM_AMOUNT", 409, 11, OPTIONAL_NUMBER),      // [P]
        Field::new("LUMP_SUM_TYPE", 420, 35, FieldKind::TEXT),        // [P]
        Field::new("MULTIPLE_IWO_STATE_CODE", 455, 2, FieldKind::TEXT), // [P]
        Field::new("FIRST_ERROR_FIELD_NAME", 457, 32, FieldKind::TEXT), // [P]
        Field::new("SECOND_ERROR_FIELD_NAME", 489, 32, FieldKind::TEXT), // [P]
        Field::new("MULTIPLE_ERROR_INDICATOR", 521, 1, FieldKind::TEXT), // [P]
        Field::new("FILLER_END", 522, 29, FieldKind::Filler),         // [P]
    ],
);
const _: () = ACK.assert_valid();
