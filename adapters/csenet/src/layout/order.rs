//! Layout and typed struct of the ORDER block (IGD Appendix C; spec §1.4).

use crate::codec::block;

block! {
    /// An Order block (254 bytes, 0–9 per transaction): one support order.
    Order, ORDER = ("ORDER", 254) {
        /// IGD-C marks it Required (often conditional; see `codes`).
        order_fips_state: Text = ("Order-FIPS-State", 1, 2),
        /// IGD-C marks it Required (often conditional; see `codes`).
        order_fips_county: Text = ("Order-FIPS-County", 3, 3),
        order_fips_sub: Text = ("Order-FIPS-Sub", 6, 2),
        /// IGD-C marks it Required (often conditional; see `codes`).
        order_id: Text = ("Order-ID", 8, 17),
        /// IGD-C marks it Required (often conditional; see `codes`).
        order_filing_date: Date8 = ("Order-Filing-Date", 25, 8),
        /// IGD-C marks it Required (often conditional; see `codes`).
        order_type: Text = ("Order-Type", 33, 1),
        /// IGD-C marks it Required (often conditional; see `codes`).
        debt_type: Text = ("Debt-Type", 34, 2),
        /// IGD-C marks it Required (often conditional; see `codes`).
        order_freq: Text = ("Order-Freq.", 36, 1),
        /// IGD-C marks it Required (often conditional; see `codes`).
        order_freq_amount: Cents = ("Order-Freq.-Amount", 37, 12),
        /// IGD-C marks it Required (often conditional; see `codes`).
        order_effective_date: Date8 = ("Order-Effective-Date", 49, 8),
        order_end_date: Date8 = ("Order-End-Date", 57, 8),
        order_cancel_date: Date8 = ("Order-Cancel-Date", 65, 8),
        /// IGD-C marks it Required (often conditional; see `codes`).
        order_arrears_freq: Text = ("Order-Arrears-Freq.", 73, 1),
        /// IGD-C marks it Required (often conditional; see `codes`).
        order_arrears_freq_amount: Cents = ("Order-Arrears-Freq.-Amount", 74, 12),
        /// IGD-C marks it Required (often conditional; see `codes`).
        /// May be negative; the sign encoding is unverified (leading `-`, see `codec`).
        order_arrears_total_amount: SignedCents = ("Order-Arrears-Total-Amount", 86, 12),
        /// IGD-C marks it Required (often conditional; see `codes`).
        arrears_tanf_from_date: Date8 = ("Arrears-TANF-From-Date", 98, 8),
        /// IGD-C marks it Required (often conditional; see `codes`).
        arrears_tanf_thru_date: Date8 = ("Arrears-TANF-Thru-Date", 106, 8),
        arrears_tanf_amount: Cents = ("Arrears-TANF-Amount", 114, 12),
        /// IGD-C marks it Required (often conditional; see `codes`).
        arrears_non_tanf_from_date: Date8 = ("Arrears-Non-TANF-From-Date", 126, 8),
        /// IGD-C marks it Required (often conditional; see `codes`).
        arrears_non_tanf_thru_date: Date8 = ("Arrears-Non-TANF-Thru-Date", 134, 8),
        arrears_non_tanf_amount: Cents = ("Arrears-Non-TANF-Amount", 142, 12),
        /// IGD-C marks it Required (often conditional; see `codes`).
        foster_care_from_date: Date8 = ("Foster-Care-From-Date", 154, 8),
        /// IGD-C marks it Required (often conditional; see `codes`).
        foster_care_thru_date: Date8 = ("Foster-Care-Thru-Date", 162, 8),
        foster_care_amount: Cents = ("Foster-Care-Amount", 170, 12),
        /// IGD-C marks it Required (often conditional; see `codes`).
        medical_from_date: Date8 = ("Medical-From-Date", 182, 8),
        /// IGD-C marks it Required (often conditional; see `codes`).
        medical_thru_date: Date8 = ("Medical-Thru-Date", 190, 8),
        medical_amount: Cents = ("Medical-Amount", 198, 12),
        /// IGD-C marks it Required (often conditional; see `codes`).
        medical_ordered: Text = ("Medical-Ordered", 210, 1),
        tribunal_case_number: Text = ("Tribunal-Case-Number", 211, 17),
        date_of_last_payment: Date8 = ("Date-Of-Last-Payment", 228, 8),
        controlling_order_flag: Text = ("Controlling-Order-Flag", 236, 1),
        new_order_flag: Text = ("New-Order-Flag", 237, 1),
        docket_num: Text = ("Docket-Num.", 238, 17),
    }
}
