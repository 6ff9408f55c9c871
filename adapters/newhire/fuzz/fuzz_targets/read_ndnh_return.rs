#![no_main]
//! Any bytes, as ASCII and as EBCDIC: reading a return file or a transmission never panics.

use ivd_fixed::Encoding;
use ivd_newhire::ndnh::{read_return, read_transmission};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for encoding in [Encoding::Ascii, Encoding::Ebcdic037] {
        let r = read_return(data, encoding);
        for e in &r.errors {
            let _ = e.to_string();
        }
        let t = read_transmission(data, encoding);
        for o in &t.records {
            let _ = o.verdict().to_json_line();
        }
    }
});
