//! Layout and typed struct of the PARTICIPANT block (IGD Appendix C; spec §1.4).

use crate::codec::block;

block! {
    /// A Participant block (341 bytes, 0–9 per transaction): a custodial party, dependent, putative father or other person on the case.
    Participant, PARTICIPANT = ("PARTICIPANT", 341) {
        /// IGD-C marks it Required (often conditional; see `codes`).
        name_last: Text = ("Name-Last", 1, 21),
        /// IGD-C marks it Required (often conditional; see `codes`).
        name_first: Text = ("Name-First", 22, 16),
        name_middle: Text = ("Name-Middle", 38, 16),
        name_suffix: Text = ("Name-Suffix", 54, 3),
        /// IGD-C marks it Required (often conditional; see `codes`).
        date_of_birth: Date8 = ("Date-Of-Birth", 57, 8),
        ssn: Digits = ("SSN", 65, 9),
        gender: Text = ("Gender", 74, 1),
        race: Text = ("Race", 75, 1),
        /// IGD-C marks it Required (often conditional; see `codes`).
        relationship: Text = ("Relationship", 76, 1),
        /// IGD-C marks it Required (often conditional; see `codes`).
        participant_status: Text = ("Participant-Status", 77, 1),
        /// IGD-C marks it Required (often conditional; see `codes`).
        dependent_relation_cp: Text = ("Dependent-Relation-CP", 78, 1),
        /// IGD-C marks it Required (often conditional; see `codes`).
        address_line_1: Text = ("Participant-Address-Line-1", 79, 25),
        address_line_2: Text = ("Participant-Address-Line-2", 104, 25),
        city: Text = ("Participant-City", 129, 18),
        state: Text = ("Participant-State", 147, 2),
        zip_1: Digits = ("Participant-Zip-1", 149, 5),
        zip_2: Digits = ("Participant-Zip-2", 154, 4),
        employer_name: Text = ("Participant-Employer-Info.-Emp.-Name", 158, 40),
        employer_street_line_1: Text = ("Participant-Employer-Info.-Emp.-Street-Line-1", 198, 25),
        employer_street_line_2: Text = ("Participant-Employer-Info.-Emp.-Street-Line-2", 223, 25),
        employer_city: Text = ("Participant-Employer-Info.-Emp.-City", 248, 18),
        employer_state: Text = ("Participant-Employer-Info.-Emp.-State", 266, 2),
        employer_zip_1: Digits = ("Participant-Employer-Info.-Emp.-Zip-1", 268, 5),
        employer_zip_2: Digits = ("Participant-Employer-Info.-Emp.-Zip-2", 273, 4),
        emp_ein: Digits = ("Emp-EIN", 277, 9),
        address_confirmed: Text = ("Address-Confirmed", 286, 1),
        date_address_confirmed: Date8 = ("Date-Address-Confirmed", 287, 8),
        employer_confirmed: Text = ("Employer-Confirmed", 295, 1),
        date_employer_confirmed: Date8 = ("Date-Employer-Confirmed", 296, 8),
        work_phone: Digits = ("Work-Phone", 304, 10),
        place_of_birth: Text = ("Place-Of-Birth", 314, 25),
        dependent_child_state_of_residence: Text = ("Dependent-Child-State-Of-Residence", 339, 2),
        dependent_paternity_status: Text = ("Dependent-Paternity-Status", 341, 1),
    }
}
