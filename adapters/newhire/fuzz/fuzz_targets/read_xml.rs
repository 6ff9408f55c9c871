#![no_main]
//! Any bytes: reading never panics, every outcome renders, and a record that reads valid
//! writes back and reads again to the same report.

use ivd_newhire::{Format, Rules, read_new_hires, write_new_hires};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let rules = Rules::new(time::macros::date!(2026 - 03 - 20));
    for outcome in read_new_hires(Format::Xml, data, &rules) {
        let _ = outcome.verdict().to_json_line();
        if let Some(hire) = &outcome.new_hire {
            let mut w = write_new_hires(Format::Xml, Vec::new());
            if w.push(hire).is_ok() {
                let bytes = w.finish().expect("writing to a Vec cannot fail");
                let again: Vec<_> = read_new_hires(Format::Xml, &bytes[..], &rules).collect();
                assert_eq!(again.len(), 1);
                assert_eq!(again[0].new_hire.as_ref(), Some(hire));
            }
        }
    }
});
