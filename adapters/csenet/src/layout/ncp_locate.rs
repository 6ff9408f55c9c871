//! Layout and typed struct of the NCP_LOCATE block (IGD Appendix C; spec §1.4).

use crate::codec::block;

block! {
    /// The NCP Locate block (1421 bytes, 0–1 per transaction): where the noncustodial parent lives and works.
    NcpLocate, NCP_LOCATE = ("NCP_LOCATE", 1421) {
        /// IGD-C marks it Required (often conditional; see `codes`).
        residential_address_line_1: Text = ("Residential-Address-Line-1", 1, 25),
        residential_address_line_2: Text = ("Residential-Address-Line-2", 26, 25),
        residential_city: Text = ("Residential-City", 51, 18),
        residential_state: Text = ("Residential-State", 69, 2),
        residential_zip_1: Digits = ("Residential-Zip-1", 71, 5),
        residential_zip_2: Digits = ("Residential-Zip-2", 76, 4),
        /// IGD-C marks it Required (often conditional; see `codes`).
        mailing_address_line_1: Text = ("Mailing-Address-Line-1", 80, 25),
        mailing_address_line_2: Text = ("Mailing-Address-Line-2", 105, 25),
        mailing_city: Text = ("Mailing-City", 130, 18),
        mailing_state: Text = ("Mailing-State", 148, 2),
        mailing_zip_1: Digits = ("Mailing-Zip-1", 150, 5),
        mailing_zip_2: Digits = ("Mailing-Zip-2", 155, 4),
        /// IGD-C marks it Required (often conditional; see `codes`).
        residential_address_effective_date: Date8 = ("Residential-Address-Effective-Date", 159, 8),
        /// IGD-C marks it Required (often conditional; see `codes`).
        residential_address_end_date: Date8 = ("Residential-Address-End-Date", 167, 8),
        /// IGD-C marks it Required (often conditional; see `codes`).
        residential_address_confirmed_ind: Text = ("Residential-Address-Confirmed-Ind.", 175, 1),
        /// IGD-C marks it Required (often conditional; see `codes`).
        mailing_address_effective_date: Date8 = ("Mailing-Address-Effective-Date", 176, 8),
        /// IGD-C marks it Required (often conditional; see `codes`).
        mailing_address_end_date: Date8 = ("Mailing-Address-End-Date", 184, 8),
        /// IGD-C marks it Required (often conditional; see `codes`).
        mailing_address_confirmed_ind: Text = ("Mailing-Address-Confirmed-Ind.", 192, 1),
        home_phone_num: Digits = ("Home-Phone-Num.", 193, 10),
        work_phone_num: Digits = ("Work-Phone-Num.", 203, 10),
        drivers_license_state: Text = ("Drivers-License-State", 213, 2),
        drivers_license_num: Text = ("Drivers-License-Num.", 215, 20),
        alias_1_first: Text = ("Alias-1-First", 235, 16),
        alias_1_middle: Text = ("Alias-1-Middle", 251, 16),
        alias_1_last: Text = ("Alias-1-Last", 267, 21),
        alias_1_suffix: Text = ("Alias-1-Suffix", 288, 3),
        alias_2_first: Text = ("Alias-2-First", 291, 16),
        alias_2_middle: Text = ("Alias-2-Middle", 307, 16),
        alias_2_last: Text = ("Alias-2-Last", 323, 21),
        alias_2_suffix: Text = ("Alias-2-Suffix", 344, 3),
        alias_3_first: Text = ("Alias-3-First", 347, 16),
        alias_3_middle: Text = ("Alias-3-Middle", 363, 16),
        alias_3_last: Text = ("Alias-3-Last", 379, 21),
        alias_3_suffix: Text = ("Alias-3-Suffix", 400, 3),
        spouse_name_last: Text = ("Spouse-Name-Last", 403, 21),
        spouse_name_first: Text = ("Spouse-Name-First", 424, 16),
        spouse_name_middle: Text = ("Spouse-Name-Middle", 440, 16),
        spouse_name_suffix: Text = ("Spouse-Name-Suffix", 456, 3),
        occupation: Text = ("Occupation", 459, 32),
        employer_ein: Digits = ("Employer-EIN", 491, 9),
        /// IGD-C marks it Required (often conditional; see `codes`).
        employer_name: Text = ("Employer-Name", 500, 40),
        /// IGD-C marks it Required (often conditional; see `codes`).
        employer_address_line_1: Text = ("Employer-Address-Line-1", 540, 25),
        employer_address_line_2: Text = ("Employer-Address-Line-2", 565, 25),
        employer_city: Text = ("Employer-City", 590, 18),
        employer_state: Text = ("Employer-State", 608, 2),
        employer_zip_1: Digits = ("Employer-Zip-1", 610, 5),
        employer_zip_2: Digits = ("Employer-Zip-2", 615, 4),
        employer_phone_num: Digits = ("Employer-Phone-Num.", 619, 10),
        /// IGD-C marks it Required (often conditional; see `codes`).
        employer_effective_date: Date8 = ("Employer-Effective-Date", 629, 8),
        employer_end_date: Date8 = ("Employer-End-Date", 637, 8),
        /// IGD-C marks it Required (often conditional; see `codes`).
        employer_confirmed_ind: Text = ("Employer-Confirmed-Ind.", 645, 1),
        /// IGD-C marks it Required (often conditional; see `codes`).
        wage_qtr: Digits = ("Wage-Qtr", 646, 1),
        /// IGD-C marks it Required (often conditional; see `codes`).
        wage_year: Digits = ("Wage-Year", 647, 4),
        /// IGD-C marks it Required (often conditional; see `codes`).
        wage_amount: Cents = ("Wage-Amount", 651, 12),
        insurance_carrier_name: Text = ("Insurance-Carrier-Name", 663, 36),
        insurance_policy_num: Text = ("Insurance-Policy-Num.", 699, 20),
        last_res_address_line_1: Text = ("Last-Res.-Address-Line-1", 719, 25),
        last_res_address_line_2: Text = ("Last-Res.-Address-Line-2", 744, 25),
        last_res_city: Text = ("Last-Res.-City", 769, 18),
        last_res_state: Text = ("Last-Res.-State", 787, 2),
        last_res_zip_1: Digits = ("Last-Res.-Zip-1", 789, 5),
        last_res_zip_2: Digits = ("Last-Res.-Zip-2", 794, 4),
        last_res_address_date: Date8 = ("Last-Res.-Address-Date", 798, 8),
        last_mail_address_line_1: Text = ("Last-Mail-Address-Line-1", 806, 25),
        last_mail_address_line_2: Text = ("Last-Mail-Address-Line-2", 831, 25),
        last_mail_city: Text = ("Last-Mail-City", 856, 18),
        last_mail_state: Text = ("Last-Mail-State", 874, 2),
        last_mail_zip_1: Digits = ("Last-Mail-Zip-1", 876, 5),
        last_mail_zip_2: Digits = ("Last-Mail-Zip-2", 881, 4),
        last_mail_address_date: Date8 = ("Last-Mail-Address-Date", 885, 8),
        last_employer: Text = ("Last-Employer", 893, 40),
        last_employer_date: Date8 = ("Last-Employer-Date", 933, 8),
        last_employer_address_line_1: Text = ("Last-Employer-Address-Line-1", 941, 25),
        last_employer_address_line_2: Text = ("Last-Employer-Address-Line-2", 966, 25),
        last_employer_city: Text = ("Last-Employer-City", 991, 18),
        last_employer_state: Text = ("Last-Employer-State", 1009, 2),
        last_employer_zip_1: Digits = ("Last-Employer-Zip-1", 1011, 5),
        last_employer_zip_2: Digits = ("Last-Employer-Zip-2", 1016, 4),
        last_employer_eff_date: Date8 = ("Last-Employer-Eff.-Date", 1020, 8),
        employer2_ein: Digits = ("Employer2-EIN", 1028, 9),
        employer2_name: Text = ("Employer2-Name", 1037, 40),
        /// IGD-C marks it Required (often conditional; see `codes`).
        employer2_address_line_1: Text = ("Employer2-Address-Line-1", 1077, 25),
        employer2_address_line_2: Text = ("Employer2-Address-Line-2", 1102, 25),
        employer2_city: Text = ("Employer2-City", 1127, 18),
        employer2_state: Text = ("Employer2-State", 1145, 2),
        employer2_zip_1: Digits = ("Employer2-Zip-1", 1147, 5),
        employer2_zip_2: Digits = ("Employer2-Zip-2", 1152, 4),
        employer2_phone_num: Digits = ("Employer2-Phone-Num.", 1156, 10),
        /// IGD-C marks it Required (often conditional; see `codes`).
        employer2_effective_date: Date8 = ("Employer2-Effective-Date", 1166, 8),
        employer2_end_date: Date8 = ("Employer2-End-Date", 1174, 8),
        /// IGD-C marks it Required (often conditional; see `codes`).
        employer2_confirmed_ind: Text = ("Employer2-Confirmed-Ind.", 1182, 1),
        /// IGD-C marks it Required (often conditional; see `codes`).
        wage2_qtr: Digits = ("Wage2-Qtr", 1183, 1),
        /// IGD-C marks it Required (often conditional; see `codes`).
        wage2_year: Digits = ("Wage2-Year", 1184, 4),
        /// IGD-C marks it Required (often conditional; see `codes`).
        wage2_amount: Cents = ("Wage2-Amount", 1188, 12),
        employer3_ein: Digits = ("Employer3-EIN", 1200, 9),
        employer3_name: Text = ("Employer3-Name", 1209, 40),
        /// IGD-C marks it Required (often conditional; see `codes`).
        employer3_address_line_1: Text = ("Employer3-Address-Line-1", 1249, 25),
        employer3_address_line_2: Text = ("Employer3-Address-Line-2", 1274, 25),
        employer3_city: Text = ("Employer3-City", 1299, 18),
        employer3_state: Text = ("Employer3-State", 1317, 2),
        employer3_zip_1: Digits = ("Employer3-Zip-1", 1319, 5),
        employer3_zip_2: Digits = ("Employer3-Zip-2", 1324, 4),
        employer3_phone_num: Digits = ("Employer3-Phone-Num.", 1328, 10),
        /// IGD-C marks it Required (often conditional; see `codes`).
        employer3_effective_date: Date8 = ("Employer3-Effective-Date", 1338, 8),
        employer3_end_date: Date8 = ("Employer3-End-Date", 1346, 8),
        /// IGD-C marks it Required (often conditional; see `codes`).
        employer3_confirmed_ind: Text = ("Employer3-Confirmed-Ind.", 1354, 1),
        /// IGD-C marks it Required (often conditional; see `codes`).
        wage3_qtr: Digits = ("Wage3-Qtr", 1355, 1),
        /// IGD-C marks it Required (often conditional; see `codes`).
        wage3_year: Digits = ("Wage3-Year", 1356, 4),
        /// IGD-C marks it Required (often conditional; see `codes`).
        wage3_amount: Cents = ("Wage3-Amount", 1360, 12),
        professional_licenses: Text = ("Professional-Licenses", 1372, 50),
    }
}
