#![no_main]
//! Any bytes: reading an ICR extract never panics and gives every record one verdict; a
//! record that parses writes back to a canonical form that parses to the same record
//! (fillers are written as spaces, so the canonical form is a fixed point, not the input).

use ivd_csenet::icr::{IcrRecord, read_extract};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let extract = read_extract(data);
    assert!(extract.records.len() <= extract.verdicts.len());
    for v in &extract.verdicts {
        let _ = v.to_json_line();
    }
    for (_, record) in &extract.records {
        let once = record.write().expect("a parsed record writes");
        assert_eq!(&IcrRecord::parse(&once).expect("the canonical form parses"), record);
    }
    let _ = IcrRecord::parse(data);
});
