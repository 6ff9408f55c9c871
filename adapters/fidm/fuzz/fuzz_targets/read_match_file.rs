#![no_main]
//! Any bytes, either encoding: reading never panics, every verdict renders, and a valid
//! file writes back to the same values.

use ivd_fidm::{Encoding, match_verdicts, read_match_file, write_match_file};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&first, data)) = data.split_first() else {
        return;
    };
    let encoding = if first & 1 == 0 {
        Encoding::Ascii
    } else {
        Encoding::Ebcdic037
    };
    let file = read_match_file(data, encoding);
    for v in &file.verdicts {
        let _ = v.to_json_line();
    }
    assert_eq!(match_verdicts(data, encoding).count(), file.verdicts.len());
    if file.is_valid() {
        let inst = file
            .institution
            .as_ref()
            .expect("a valid file has its A record");
        let bytes = write_match_file(inst, &file.matches, encoding).expect("valid values write");
        let again = read_match_file(&bytes, encoding);
        assert!(again.is_valid());
        assert_eq!(
            again.matches,
            file.matches
                .iter()
                .enumerate()
                .map(|(i, m)| {
                    let mut m = m.clone();
                    m.record = i as u64 + 2;
                    m
                })
                .collect::<Vec<_>>()
        );
    }
});
