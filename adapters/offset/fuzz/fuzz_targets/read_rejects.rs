#![no_main]
//! Any bytes, either encoding: reading a reject file never panics, and every reject that
//! reads writes back to a record that reads as the same reject.

use ivd_offset::{Encoding, Reject, read_rejects, reject_verdicts};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for enc in [Encoding::Ascii, Encoding::Ebcdic037] {
        let file = read_rejects(data, enc);
        for r in &file.rejects {
            if let Ok(record) = r.to_record() {
                assert_eq!(
                    &Reject::from_record(r.record, &record).expect("reads back"),
                    r
                );
            }
        }
        for v in reject_verdicts(data, enc) {
            let _ = v.to_json_line();
        }
    }
});
