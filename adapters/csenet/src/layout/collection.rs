//! Layout and typed struct of the COLLECTION block (IGD Appendix C; spec §1.4).

use crate::codec::block;

block! {
    /// A Collection block (70 bytes, 0–9 per transaction): one payment collected.
    Collection, COLLECTION = ("COLLECTION", 70) {
        /// IGD-C marks it Required (often conditional; see `codes`).
        date_of_collection: Date8 = ("Date-Of-Collection", 1, 8),
        /// IGD-C marks it Required (often conditional; see `codes`).
        date_of_posting: Date8 = ("Date-Of-Posting", 9, 8),
        /// IGD-C marks it Required (often conditional; see `codes`).
        payment_amount: Cents = ("Payment-Amount", 17, 12),
        /// IGD-C marks it Required (often conditional; see `codes`).
        payment_source: Text = ("Payment-Source", 29, 1),
        /// IGD-C marks it Required (often conditional; see `codes`).
        interstate_payment_method: Text = ("Interstate-Payment-Method", 30, 1),
        rdfi_id: Text = ("RDFI-ID", 31, 20),
        rdfi_account_num: Text = ("RDFI-Account-Num.", 51, 20),
    }
}
