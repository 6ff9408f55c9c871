#![no_main]
//! Any bytes: parsing, checking and writing back never panic; a record that parses writes
//! back to a canonical form that is a fixed point (parse → write → parse → write gives the
//! same bytes). Canonical records (every sample) are byte-identical already; the two
//! normalisations are all-zero dates (written as spaces) and a negative zero amount.
//!
//! A parsed transaction also survives its JSON form (what `ivd-gateway convert` emits and
//! takes back), and the answers the gateway builds from a received transaction (the
//! deadlines it owes, the `MSC P REJCT` rejection) are built without panicking and the
//! rejection writes. The same bytes read as JSON (a `convert --from-json` line) either
//! write or are refused, never panic. The code parsers take any text.

use ivd_csenet::acknowledgment::{deadlines, needs_acknowledgment, our_deadlines, rejection};
use ivd_csenet::{
    ActionCode, FipsCode, FunctionCode, HeaderKind, ServerError, Transaction,
    server_error_verdicts, split_transactions, transaction_verdicts,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(t) = Transaction::parse(data) {
        let once = t
            .write(t.header_kind())
            .expect("a parsed transaction writes");
        let t2 = Transaction::parse(&once).expect("the canonical form parses");
        assert_eq!(t2, t);
        assert_eq!(t2.write(t2.header_kind()).expect("writes"), once);
        let _ = ivd_csenet::translate::to_model(&t);

        let json = serde_json::to_string(&t).expect("a parsed transaction serialises");
        let from_json: Transaction = serde_json::from_str(&json).expect("its JSON reads back");
        assert_eq!(from_json, t);

        let _ = needs_acknowledgment(&t);
        let _ = deadlines(&t);
        let _ = our_deadlines(&t);
        let date = time::macros::date!(2026 - 03 - 20);
        let rejected = rejection(&t, 1, date);
        let record = rejected
            .write(HeaderKind::Outbound)
            .expect("the rejection of a parsed transaction writes");
        Transaction::parse(&record).expect("the rejection parses");
    }
    let _ = Transaction::parse_fields(data);
    let _ = ServerError::parse(data);
    for v in transaction_verdicts(data) {
        let _ = v.to_json_line();
    }
    assert_eq!(
        split_transactions(data).count(),
        transaction_verdicts(data).count()
    );
    let _ = server_error_verdicts(data).count();

    if let Ok(t) = serde_json::from_slice::<Transaction>(data) {
        for kind in [HeaderKind::Outbound, HeaderKind::Inbound] {
            if let Ok(record) = t.write(kind) {
                let _ = Transaction::parse(&record);
            }
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Some(fips) = FipsCode::parse(text) {
            assert_eq!(FipsCode::parse(&fips.code()), Some(fips.clone()));
            let _ = fips.to_model();
        }
        let _ = FunctionCode::parse(text);
        let _ = ActionCode::parse(text);
    }
});
