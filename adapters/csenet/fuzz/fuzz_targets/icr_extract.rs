#![no_main]
//! Any bytes: reading an ICR extract never panics and gives every record one verdict; a
//! record that parses writes back to a canonical form that parses to the same record
//! (fillers are written as spaces, so the canonical form is a fixed point, not the input),
//! and the good records of any file written as an extract read back as the same records.

use ivd_csenet::icr::{IcrRecord, extract_verdicts, read_extract, write_extract};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let extract = read_extract(data);
    assert!(extract.records.len() <= extract.verdicts.len());
    for v in &extract.verdicts {
        let _ = v.to_json_line();
    }
    for (_, record) in &extract.records {
        let once = record.write().expect("a parsed record writes");
        assert_eq!(
            &IcrRecord::parse(&once).expect("the canonical form parses"),
            record
        );
    }
    assert_eq!(extract_verdicts(data), extract.verdicts);
    // The good records of a mixed file, written as a file of their own, read back whole.
    let good: Vec<IcrRecord> = extract.records.iter().map(|(_, r)| r.clone()).collect();
    let file = write_extract(&good).expect("parsed records write");
    let again = read_extract(&file);
    assert!(again.verdicts.iter().all(|v| v.is_valid()));
    assert_eq!(
        again
            .records
            .into_iter()
            .map(|(_, r)| r)
            .collect::<Vec<_>>(),
        good
    );
    let _ = IcrRecord::parse(data);
});
