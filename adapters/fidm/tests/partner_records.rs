//! "Partners are not us": a Method 1 all-accounts file whose records are assembled byte by
//! byte from the published positions (the A record of the federal handbook, the B record of
//! California FTB's "Method 1 B Record" page), not by this crate's writer, and read by this
//! crate's reader. Nothing here looks at `ivd_fidm::layouts`.

use ivd_fidm::{AccountType, BalanceIndicator, Encoding, TrustFund, read_accounts};

/// Places each `(position, value)` (1-based) in a 500-byte record of spaces.
fn record(pieces: &[(usize, &str)]) -> Vec<u8> {
    let mut out = vec![b' '; 500];
    for (pos, value) in pieces {
        out[pos - 1..pos - 1 + value.len()].copy_from_slice(value.as_bytes());
    }
    out
}

fn a_record() -> Vec<u8> {
    record(&[
        (1, "A"),
        (7, "480000017"),             // institution TIN 7–15
        (16, "PRAI"),                 // name control 16–19
        (20, "202603"),               // year and month 20–25
        (50, "PRAIRIE SAVINGS BANK"), // name 50–89
        (130, "0"),                   // transfer agent 130
        (131, "100 MAIN ST"),         // street 131–170
        (171, "TOPEKA"),              // city 171–199
        (200, "KS"),                  // state 200–201
        (202, "66603"),               // ZIP 202–210
        (371, "A"),                   // data match file indicator 371
    ])
}

/// FTB Method 1 "B": type 1, year-month 2–7, last name control 8–11, SSN 15–23, account
/// number 24–43, title 61–160, first payee 162–201, street 242–281, city 282–310, state
/// 311–312, ZIP 313–321, balance 351–357 (6 digits, trailing sign), trust fund 359, balance
/// indicator 361, update indicator 362, birth date 363–370, and the 10-byte field 371–380.
fn b_record(account_type: &str) -> Vec<u8> {
    record(&[
        (1, "B"),
        (2, "202603"),
        (8, "LANT"),
        (15, "123456789"),
        (24, "00001234567890"),
        (61, "MAPLE LANTERN"),
        (162, "MAPLE LANTERN"),
        (242, "12 ELM ST"),
        (282, "TOPEKA"),
        (311, "KS"),
        (313, "66604"),
        (351, "004250+"),
        (359, "0"),
        (361, "2"),
        (363, "19850714"),
        (371, account_type),
    ])
}

fn t_record(count: &str) -> Vec<u8> {
    record(&[(1, "T"), (2, count)])
}

fn file(records: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for r in records {
        out.extend_from_slice(r);
        out.push(b'\n');
    }
    out
}

#[test]
fn a_method_1_b_record_from_the_ftb_positions_reads_field_by_field() {
    let bytes = file(&[a_record(), b_record("04"), t_record("00000001")]);
    let outcomes: Vec<_> = read_accounts(&bytes[..], Encoding::Ascii).collect();
    assert_eq!(outcomes.len(), 1);
    assert!(outcomes[0].is_valid(), "{:?}", outcomes[0].errors);
    let account = outcomes[0].account.as_ref().expect("account");
    assert_eq!(account.ssn.expose(), "123456789");
    assert_eq!(account.account_number, "00001234567890");
    assert_eq!(account.payee_name, "MAPLE LANTERN");
    assert_eq!(account.address.zip, "66604");
    assert_eq!(account.balance_dollars, 4250);
    assert_eq!(account.balance_indicator, BalanceIndicator::Current);
    assert_eq!(account.trust_fund, TrustFund::NotTrust);
    assert_eq!(
        account.birth_date.map(|d| d.expose().to_string()),
        Some("1985-07-14".to_string())
    );
    assert_eq!(account.account_type, Some(AccountType::Checking));
}

#[test]
fn the_whole_ten_byte_field_at_371_is_read() {
    // Something in 373–380 is part of the field at 371–380, not filler: a value that does
    // not fit the code table is reported, at 371.
    let bytes = file(&[a_record(), b_record("04XXXXXXXX"), t_record("00000001")]);
    let outcomes: Vec<_> = read_accounts(&bytes[..], Encoding::Ascii).collect();
    assert_eq!(outcomes.len(), 1);
    let errors = &outcomes[0].errors;
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].field, "account_type");
    assert_eq!(errors[0].position, Some(371));
}
