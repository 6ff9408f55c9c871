#![no_main]
//! Any bytes, either encoding: reading never panics, every outcome renders, and every
//! account read valid writes back and reads again to the same account.

use ivd_fidm::{Encoding, read_accounts, write_accounts};
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
    let mut reader = read_accounts(data, encoding);
    let institution = reader.institution().cloned();
    for outcome in reader.by_ref() {
        let _ = outcome.verdict().to_json_line();
        if outcome.account.is_some() {
            assert!(
                outcome
                    .errors
                    .iter()
                    .all(|e| e.code.as_str() == "MISSING_HEADER")
            );
        }
        if let (Some(account), Some(inst)) = (&outcome.account, &institution) {
            let mut w = write_accounts(inst, encoding, Vec::new());
            w.push(account).expect("a valid account writes");
            let bytes = w.finish().expect("writing to a Vec cannot fail");
            let again: Vec<_> = read_accounts(&bytes[..], encoding).collect();
            assert_eq!(again.len(), 1);
            assert_eq!(
                again[0]
                    .account
                    .as_ref()
                    .map(|a| (&a.ssn, &a.account_number, a.balance_dollars)),
                Some((
                    &account.ssn,
                    &account.account_number,
                    account.balance_dollars
                ))
            );
        }
    }
});
