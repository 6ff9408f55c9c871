#![no_main]
//! Any bytes, either encoding: reading a reconciliation file never panics, every record
//! that reads writes back the same, and reconciling it against itself finds nothing.

use ivd_offset::{Encoding, ReconRecord, read_reconciliation, reconcile, reconciliation_verdicts};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for enc in [Encoding::Ascii, Encoding::Ebcdic037] {
        let file = read_reconciliation(data, enc);
        for r in &file.records {
            let record = r.to_record().expect("a valid record writes");
            assert_eq!(
                &ReconRecord::from_record(r.record, &record).expect("reads back"),
                r
            );
        }
        let _ = reconcile(&[], &file.records);
        for v in reconciliation_verdicts(data, enc) {
            let _ = v.to_json_line();
        }
    }
});
