#![no_main]
//! Any bytes: reading an e-IWO file and its per-line verdicts never panics, and every
//! IWO that reads writes back to a record that reads as the same value.

use ivd_eiwo::{Iwo, iwo_verdicts, read_iwo_file};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let file = read_iwo_file(data);
    for iwo in file.iwos() {
        let record = iwo.to_record().expect("a valid IWO writes");
        assert_eq!(&Iwo::from_record(&record).expect("and reads back"), iwo);
    }
    for v in iwo_verdicts(data) {
        let _ = v.to_json_line();
    }
});
