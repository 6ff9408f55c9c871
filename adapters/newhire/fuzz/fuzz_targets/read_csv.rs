#![no_main]
//! Any bytes: reading never panics, every outcome renders, and a record that reads valid
//! writes back and reads again to the same report. The same bytes go through the format
//! sniffing the gateway applies to an upload (`Format::detect`) and, as text, through the
//! `Content-Type` and `--format` name look-ups: they never panic, and a format they
//! name is one whose own names lead back to it.

use ivd_newhire::{Format, Rules, read_new_hires, write_new_hires};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let rules = Rules::new(time::macros::date!(2026 - 03 - 20));
    for outcome in read_new_hires(Format::Csv, data, &rules) {
        let _ = outcome.verdict().to_json_line();
        if let Some(hire) = &outcome.new_hire {
            let mut w = write_new_hires(Format::Csv, Vec::new());
            if w.push(hire).is_ok() {
                let bytes = w.finish().expect("writing to a Vec cannot fail");
                let again: Vec<_> = read_new_hires(Format::Csv, &bytes[..], &rules).collect();
                assert_eq!(again.len(), 1);
                assert_eq!(again[0].new_hire.as_ref(), Some(hire));
            }
        }
    }
    let _ = Format::detect(data);
    if let Ok(text) = std::str::from_utf8(data) {
        for format in [Format::from_media_type(text), text.parse::<Format>().ok()]
            .into_iter()
            .flatten()
        {
            assert_eq!(Format::from_media_type(format.media_type()), Some(format));
            assert_eq!(format.name().parse::<Format>().ok(), Some(format));
        }
    }
});
