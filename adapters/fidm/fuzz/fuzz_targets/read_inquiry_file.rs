#![no_main]
//! Any bytes, either encoding: reading never panics, every verdict renders, and the
//! valid inquiries write back and read again to the same values.

use ivd_fidm::{Encoding, inquiry_verdicts, read_inquiry_file, write_inquiry_file};
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
    let file = read_inquiry_file(data, encoding);
    for v in &file.verdicts {
        let _ = v.to_json_line();
    }
    assert_eq!(
        inquiry_verdicts(data, encoding).count(),
        file.verdicts.len()
    );
    if let Some(ym) = file.year_month {
        let bytes = write_inquiry_file(ym, &file.inquiries, encoding).expect("valid values write");
        let again = read_inquiry_file(&bytes, encoding);
        assert!(again.is_valid());
        assert_eq!(again.inquiries, file.inquiries);
    }
});
