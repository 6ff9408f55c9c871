//! Layout and typed struct of the NCP_ID block (IGD Appendix C; spec §1.4).

use crate::codec::block;

block! {
    /// The NCP Identification block (181 bytes, 0–1 per transaction): who the noncustodial parent is.
    NcpIdentification, NCP_IDENTIFICATION = ("NCP_ID", 181) {
        /// IGD-C marks it Required (often conditional; see `codes`).
        name_last: Text = ("Name-Last", 1, 21),
        /// IGD-C marks it Required (often conditional; see `codes`).
        name_first: Text = ("Name-First", 22, 16),
        name_middle: Text = ("Name-Middle", 38, 16),
        name_suffix: Text = ("Name-Suffix", 54, 3),
        /// IGD-C marks it Required (often conditional; see `codes`).
        ssn: Digits = ("SSN", 57, 9),
        date_of_birth: Date8 = ("Date-Of-Birth", 66, 8),
        race: Text = ("Race", 74, 1),
        gender: Text = ("Gender", 75, 1),
        place_of_birth: Text = ("Place-Of-Birth", 76, 15),
        /// IGD-C marks it Required (often conditional; see `codes`).
        height_ft: Digits = ("Height-Ft.", 91, 1),
        /// IGD-C marks it Required (often conditional; see `codes`).
        height_in: Digits = ("Height-In.", 92, 2),
        weight: Digits = ("Weight", 94, 3),
        hair_color: Text = ("Hair-Color", 97, 2),
        eye_color: Text = ("Eye-Color", 99, 2),
        distinguishing_marks: Text = ("Distinguishing-Marks", 101, 20),
        alias_ssn_1: Digits = ("Alias-SSN-1", 121, 9),
        alias_ssn_2: Digits = ("Alias-SSN-2", 130, 9),
        possibly_dangerous: Text = ("Possibly-Dangerous", 139, 1),
        maiden_name: Text = ("Maiden-Name", 140, 21),
        mothers_maiden_or_fathers_name: Text = ("Mother's-Maiden-Or-Father's-Name", 161, 21),
    }
}
