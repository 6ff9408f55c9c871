#![no_main]
//! Any bytes: parsing, checking and writing back never panic; a record that parses writes
//! back to a canonical form that is a fixed point (parse → write → parse → write gives the
//! same bytes). Canonical records (every sample) are byte-identical already; the two
//! normalisations are all-zero dates (written as spaces) and a negative zero amount.

use ivd_csenet::{ServerError, Transaction, server_error_verdicts, verdicts};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(t) = Transaction::parse(data) {
        let once = t.write(t.header_kind()).expect("a parsed transaction writes");
        let t2 = Transaction::parse(&once).expect("the canonical form parses");
        assert_eq!(t2, t);
        assert_eq!(t2.write(t2.header_kind()).expect("writes"), once);
        let _ = ivd_csenet::translate::to_model(&t);
    }
    let _ = Transaction::parse_fields(data);
    let _ = ServerError::parse(data);
    for v in verdicts(data) {
        let _ = v.to_json_line();
    }
    let _ = server_error_verdicts(data).count();
});
