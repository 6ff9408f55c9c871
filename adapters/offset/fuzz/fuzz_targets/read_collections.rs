#![no_main]
//! Any bytes, either encoding: reading a collection file never panics, and every
//! collection that reads writes back to a record that reads as the same collection.

use ivd_offset::{Collection, Encoding, collection_verdicts, read_collections};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for enc in [Encoding::Ascii, Encoding::Ebcdic037] {
        let file = read_collections(data, enc);
        for c in &file.collections {
            let record = c.to_record().expect("a valid collection writes");
            assert_eq!(
                &Collection::from_record(c.record, &record).expect("reads back"),
                c
            );
        }
        for v in collection_verdicts(data, enc) {
            let _ = v.to_json_line();
        }
    }
});
