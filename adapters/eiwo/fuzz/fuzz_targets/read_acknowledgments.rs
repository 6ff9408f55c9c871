#![no_main]
//! Any bytes: reading an acknowledgment file and its per-line verdicts never panics, and
//! every acknowledgment that reads writes back to a record that reads as the same value.

use ivd_eiwo::{Acknowledgment, acknowledgment_verdicts, read_acknowledgments};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let file = read_acknowledgments(data);
    for a in &file.acknowledgments {
        let record = a.to_record().expect("a valid acknowledgment writes");
        let again = Acknowledgment::from_record(a.record, &record).expect("and reads back");
        assert_eq!(&again, a);
    }
    for v in acknowledgment_verdicts(data) {
        let _ = v.to_json_line();
    }
});
