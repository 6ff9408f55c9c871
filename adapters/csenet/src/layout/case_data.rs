//! Layout and typed struct of the CASE_DATA block (IGD Appendix C; spec §1.4).

use crate::codec::block;

block! {
    /// The Case Data block (351 bytes, 0–1 per transaction): case type and status, where to send payments, the caseworker contact, docket numbers and the nondisclosure finding.
    CaseData, CASE_DATA = ("CASE_DATA", 351) {
        /// IGD-C marks it Required (often conditional; see `codes`).
        case_type: Text = ("Case-Type", 1, 1),
        /// IGD-C marks it Required (often conditional; see `codes`).
        case_status: Text = ("Case-Status", 2, 1),
        /// IGD-C marks it Required (often conditional; see `codes`).
        payment_mail_address_line_1: Text = ("Payment-Mail-Address-Line-1", 3, 25),
        payment_mail_address_line_2: Text = ("Payment-Mail-Address-Line-2", 28, 25),
        payment_city: Text = ("Payment-City", 53, 18),
        payment_state: Text = ("Payment-State", 71, 2),
        payment_zip_1: Digits = ("Payment-Zip-1", 73, 5),
        payment_zip_2: Digits = ("Payment-Zip-2", 78, 4),
        contact_name_last: Text = ("Contact-Name-Last", 82, 21),
        contact_name_first: Text = ("Contact-Name-First", 103, 16),
        contact_name_middle: Text = ("Contact-Name-Middle", 119, 16),
        contact_name_suffix: Text = ("Contact-Name-Suffix", 135, 3),
        contact_address_line_1: Text = ("Contact-Address-Line-1", 138, 25),
        contact_address_line_2: Text = ("Contact-Address-Line-2", 163, 25),
        contact_city: Text = ("Contact-City", 188, 18),
        contact_state: Text = ("Contact-State", 206, 2),
        contact_zip_1: Digits = ("Contact-Zip-1", 208, 5),
        contact_zip_2: Digits = ("Contact-Zip-2", 213, 4),
        contact_phone_num: Digits = ("Contact-Phone-Num.", 217, 10),
        phone_extension: Text = ("Phone-Extension", 227, 6),
        responding_docket_num: Text = ("Responding-Docket-Num.", 233, 17),
        fax: Digits = ("Fax", 250, 10),
        internet_address: Text = ("Internet-Address", 260, 35),
        initiating_docket_num: Text = ("Initiating-Docket-Num.", 295, 17),
        /// N(20): declared as text (over 19 digits) and checked for digits by the adapter.
        send_payments_bank_account: LongDigits = ("Send-Payments-Bank-Account", 312, 20),
        send_payments_routing_code: Digits = ("Send-Payments-Routing-Code", 332, 10),
        state_with_cej: Text = ("State-With-CEJ", 342, 2),
        payment_fips_state: Digits = ("Payment-FIPS-State", 344, 2),
        payment_fips_county: Digits = ("Payment-FIPS-County", 346, 3),
        payment_fips_sub: Text = ("Payment-FIPS-Sub", 349, 2),
        nondisclosure_finding: Text = ("Nondisclosure-Finding", 351, 1),
    }
}
