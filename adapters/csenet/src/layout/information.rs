//! Layout and typed struct of the INFORMATION block (IGD Appendix C; spec §1.4).

use crate::codec::block;

block! {
    /// The Information block (416 bytes, 0–1 per transaction): status change, new case id and five lines of free text.
    Information, INFORMATION = ("INFORMATION", 416) {
        /// IGD-C marks it Required (often conditional; see `codes`).
        status_change_code: Text = ("Status-Change-Code", 1, 1),
        /// IGD-C marks it Required (often conditional; see `codes`).
        new_case_id: Text = ("New-Case-ID", 2, 15),
        /// IGD-C marks it Required (often conditional; see `codes`).
        information_text_line_1: Text = ("Information-Text-Line-1", 17, 80),
        /// IGD-C marks it Required (often conditional; see `codes`).
        information_text_line_2: Text = ("Information-Text-Line-2", 97, 80),
        /// IGD-C marks it Required (often conditional; see `codes`).
        information_text_line_3: Text = ("Information-Text-Line-3", 177, 80),
        /// IGD-C marks it Required (often conditional; see `codes`).
        information_text_line_4: Text = ("Information-Text-Line-4", 257, 80),
        /// IGD-C marks it Required (often conditional; see `codes`).
        information_text_line_5: Text = ("Information-Text-Line-5", 337, 80),
    }
}
