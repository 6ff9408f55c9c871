//! How the gateway uses the crate, told as stories.

use ivd_fidm::generate::{self, all_accounts_reader};
use ivd_fidm::{
    Account, BalanceIndicator, Encoding, FileIndicator, Framing, Inquiry, Institution, Match,
    MatchFlag, PostalAddress, Ssn, TrustFund, UpdateIndicator, WriteError, account_verdicts,
    name_control, read_accounts, read_inquiry_file, read_match_file, write_accounts,
    write_inquiry_file, write_match_file,
};

fn ssn(s: &str) -> Ssn {
    s.parse().unwrap()
}

fn inquiry(s: &str, last: &str, first: &str, case: &str) -> Inquiry {
    Inquiry {
        ssn: ssn(s),
        last_name: last.into(),
        first_name: first.into(),
        passback: case.into(),
        fips: "20000".into(),
    }
}

fn bank(file_indicator: FileIndicator) -> Institution {
    let mut i = generate::institution(1);
    i.file_indicator = file_indicator;
    i
}

/// The bank's side of Method 2: match the inquiry against its accounts on SSN and
/// answer with the name on its own account.
fn bank_answers(inquiry_file: &[u8], book: &[Account]) -> Vec<u8> {
    let asked = read_inquiry_file(inquiry_file, Encoding::Ebcdic037);
    assert!(asked.is_valid());
    let mut answer = bank(FileIndicator::Match);
    answer.year_month = asked.year_month.unwrap();
    let mut found = Vec::new();
    for q in &asked.inquiries {
        for a in book.iter().filter(|a| a.ssn == q.ssn) {
            let mut m = Match::new(a.ssn.clone(), &a.payee_name, &a.account_number);
            m.passback = q.passback.clone();
            m.fips_passback = q.fips.clone();
            m.balance_dollars = a.balance_dollars.max(0);
            m.balance_indicator = Some(a.balance_indicator);
            m.match_flag = Some(if a.last_name_control == name_control(&q.last_name) {
                MatchFlag::NameMatches
            } else {
                MatchFlag::NameDiffers
            });
            found.push(m);
        }
    }
    write_match_file(&answer, &found, Encoding::Ebcdic037).unwrap()
}

fn book() -> Vec<Account> {
    let mut g = generate::AccountGenerator::new(5, &[(2, ssn("123456789")), (4, ssn("234567891"))]);
    (1..=6).map(|n| g.account(n)).collect()
}

#[test]
fn a_banks_match_file_names_two_of_our_obligors() {
    let book = book();
    let asked = write_inquiry_file(
        (2026, 3),
        &[
            inquiry("123456789", "ANYONE", "MAPLE", "CASE-1"),
            inquiry("456789123", "KETTLE", "SAGE", "CASE-2"),
            inquiry("234567891", &book[3].payee_name[6..], "RIVER", "CASE-3"),
        ],
        Encoding::Ebcdic037,
    )
    .unwrap();

    let answer = read_match_file(&bank_answers(&asked, &book), Encoding::Ebcdic037);

    assert!(answer.is_valid(), "{:?}", answer.verdicts);
    assert_eq!(answer.institution.as_ref().unwrap().year_month, (2026, 3));
    let cases: Vec<_> = answer.matches.iter().map(|m| m.passback.as_str()).collect();
    assert_eq!(cases, ["CASE-1", "CASE-3"]);
    assert_eq!(answer.matches[0].account_number, book[1].account_number);
    assert_eq!(answer.matches[0].match_flag, Some(MatchFlag::NameDiffers));
    assert_eq!(answer.matches[0].record, 2);
}

#[test]
fn the_trailer_count_disagrees_with_the_records() {
    let book = book();
    let asked = write_inquiry_file(
        (2026, 3),
        &[inquiry("123456789", "X", "Y", "CASE-1")],
        Encoding::Ebcdic037,
    )
    .unwrap();
    let mut answer = bank_answers(&asked, &book);
    // T record: positions 2-9, the count; EBCDIC '7' is 0xF7.
    let t = 2 * 500;
    answer[t + 8] = 0xF7;

    let file = read_match_file(&answer, Encoding::Ebcdic037);

    assert!(!file.is_valid());
    assert_eq!(file.matches.len(), 1, "the good record still comes through");
    let e = &file.errors[0];
    assert_eq!(
        (e.code.as_str(), e.record, e.field.as_ref(), e.position),
        ("TRAILER_COUNT", Some(3), "record_count", Some(2))
    );
    assert_eq!(
        e.message,
        "the T record counts 7 detail records, the file has 1"
    );
}

#[test]
fn a_match_file_cut_short_or_without_its_header_is_reported_as_such() {
    let book = book();
    let asked = write_inquiry_file(
        (2026, 3),
        &[inquiry("123456789", "X", "Y", "CASE-1")],
        Encoding::Ebcdic037,
    )
    .unwrap();
    let answer = bank_answers(&asked, &book);

    let cut = read_match_file(&answer[..1000], Encoding::Ebcdic037);
    assert_eq!(cut.matches.len(), 1);
    assert_eq!(
        (cut.errors[0].code.as_str(), cut.errors[0].record),
        ("MISSING_TRAILER", Some(3))
    );

    let headless = read_match_file(&answer[500..], Encoding::Ebcdic037);
    assert_eq!(headless.institution, None);
    assert_eq!(
        headless.matches.len(),
        1,
        "matches are read without the A record"
    );
    assert_eq!(
        (headless.errors[0].code.as_str(), headless.errors[0].record),
        ("MISSING_HEADER", Some(1))
    );

    let empty = read_match_file(b"", Encoding::Ascii);
    assert_eq!(empty.errors[0].code.as_str(), "MISSING_HEADER");
}

#[test]
fn an_all_accounts_file_of_300_000_records_streams() {
    let ours = [
        (1, ssn("123456789")),
        (150_000, ssn("234567891")),
        (300_000, ssn("345678912")),
    ];
    let file = all_accounts_reader(300_000, 42, &ours, Encoding::Ebcdic037).unwrap();

    let mut reader = read_accounts(file, Encoding::Ebcdic037);
    assert_eq!(
        reader.institution().unwrap().file_indicator,
        FileIndicator::AllAccounts
    );
    let (mut valid, mut found) = (0u64, Vec::new());
    for outcome in reader.by_ref() {
        assert!(outcome.is_valid(), "{}", outcome.verdict());
        let account = outcome.account.unwrap();
        valid += 1;
        if ours.iter().any(|(_, s)| *s == account.ssn) {
            found.push(account.record - 1);
        }
    }
    assert_eq!(valid, 300_000);
    assert_eq!(reader.accounts_read(), 300_000);
    assert_eq!(found, [1, 150_000, 300_000]);
}

#[test]
fn the_generator_writes_the_same_bytes_as_its_reader_streams() {
    let planted = [(3, ssn("123456789"))];
    let mut written = Vec::new();
    let mut ticks = Vec::new();
    generate::write_all_accounts(25_000, 9, &planted, Encoding::Ascii, &mut written, |n| {
        ticks.push(n)
    })
    .unwrap();
    let mut streamed = Vec::new();
    std::io::copy(
        &mut all_accounts_reader(25_000, 9, &planted, Encoding::Ascii).unwrap(),
        &mut streamed,
    )
    .unwrap();
    assert!(written == streamed);
    assert_eq!(written.len(), 25_002 * 500);
    assert_eq!(ticks, [10_000, 20_000, 25_000]);
    assert!(
        generate::write_all_accounts(
            5,
            1,
            &[(6, ssn("123456789"))],
            Encoding::Ascii,
            Vec::new(),
            |_| {}
        )
        .is_err(),
        "a planted position beyond the file is refused"
    );
}

#[test]
fn one_bad_account_costs_only_itself() {
    let mut file = Vec::new();
    generate::write_all_accounts(3, 3, &[], Encoding::Ascii, &mut file, |_| {}).unwrap();
    file[2 * 500 + 352] = b'X'; // account 2's balance (351-357), record 3
    file.truncate(4 * 500 + 100); // and the T record cut off
    let outcomes: Vec<_> = read_accounts(&file[..], Encoding::Ascii).collect();
    let summary: Vec<_> = outcomes
        .iter()
        .map(|o| {
            (
                o.record,
                o.account.is_some(),
                o.errors.iter().map(|e| e.code.as_str()).collect::<Vec<_>>(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (2, true, vec![]),
            (3, false, vec!["NOT_NUMERIC"]),
            (4, true, vec![]),
            (5, false, vec!["PARTIAL_RECORD"]),
            (6, false, vec!["MISSING_TRAILER"]),
        ]
    );
    assert_eq!(outcomes[1].errors[0].position, Some(351));
}

#[test]
fn an_ebcdic_file_with_line_terminators_reads_like_an_ascii_one_without() {
    let accounts = book();
    let write = |enc, framing| {
        let mut w =
            write_accounts(&bank(FileIndicator::AllAccounts), enc, Vec::new()).framing(framing);
        for a in &accounts {
            w.push(a).unwrap();
        }
        w.finish().unwrap()
    };
    let ebcdic = write(Encoding::Ebcdic037, Framing::CrLf);
    assert_eq!(&ebcdic[500..502], &[0x0D, 0x25]);
    let ascii = write(Encoding::Ascii, Framing::Fixed);
    let a: Vec<_> = read_accounts(&ebcdic[..], Encoding::Ebcdic037).collect();
    let b: Vec<_> = read_accounts(&ascii[..], Encoding::Ascii).collect();
    assert_eq!(a, b);
    assert_eq!(a.len(), 6);
    assert!(a.iter().all(|o| o.is_valid()));
    // Read with the wrong encoding, nothing is valid and nothing panics.
    assert!(read_accounts(&ebcdic[..], Encoding::Ascii).all(|o| !o.is_valid()));
}

#[test]
fn a_match_file_sent_where_an_all_accounts_file_belongs_is_refused_at_its_a_record() {
    let file = write_match_file(&bank(FileIndicator::Match), &[], Encoding::Ascii).unwrap();
    let mut reader = read_accounts(&file[..], Encoding::Ascii);
    assert_eq!(reader.institution(), None);
    let first = reader.next().unwrap();
    assert_eq!(
        (
            first.record,
            first.errors[0].code.as_str(),
            first.errors[0].position
        ),
        (1, "FILE_INDICATOR", Some(371))
    );
    assert!(reader.next().is_none(), "the T record (count 0) is fine");
}

#[test]
fn an_update_file_says_what_changed_for_every_account() {
    let mut accounts = book();
    accounts[0].update = Some(UpdateIndicator::Add);
    let mut w = write_accounts(&bank(FileIndicator::Update), Encoding::Ascii, Vec::new());
    w.push(&accounts[0]).unwrap();
    let err = w.push(&accounts[1]).unwrap_err();
    let e = err.field_error().unwrap();
    assert_eq!(
        (e.code.as_str(), e.record, e.position),
        ("UPDATE_INDICATOR", Some(3), Some(362))
    );
    let file = w.finish().unwrap();
    let outcomes: Vec<_> = read_accounts(&file[..], Encoding::Ascii).collect();
    assert_eq!(outcomes.len(), 1, "the refused account was not written");
    assert_eq!(
        outcomes[0].account.as_ref().unwrap().update,
        Some(UpdateIndicator::Add)
    );
}

#[test]
fn the_writer_refuses_what_the_reader_would_reject() {
    let i = bank(FileIndicator::AllAccounts);
    let mut a = book().remove(0);
    let mut w = write_accounts(&i, Encoding::Ascii, Vec::new());

    let code = |w: &mut ivd_fidm::AccountWriter<Vec<u8>>, a: &Account| match w.push(a) {
        Err(WriteError::Invalid(e)) => e.code.as_str(),
        other => panic!("{other:?}"),
    };
    a.balance_indicator = BalanceIndicator::Current;
    a.balance_dollars = 1_000_000; // six digits and a sign
    assert_eq!(code(&mut w, &a), "OVERFLOW");
    a.balance_dollars = 12;
    a.balance_indicator = BalanceIndicator::NotProvided;
    assert_eq!(code(&mut w, &a), "BALANCE_NOT_ZERO");
    a.balance_indicator = BalanceIndicator::Average;
    a.payee_name = String::new();
    assert_eq!(code(&mut w, &a), "REQUIRED");
    a.payee_name = "MAPLE LANTERN".into();
    a.address = PostalAddress {
        state: "ZZ".into(),
        ..a.address.clone()
    };
    assert_eq!(code(&mut w, &a), "STATE_CODE");
    a.address.state = "KS".into();
    a.last_name_control = "la n".into();
    assert_eq!(code(&mut w, &a), "NAME_CONTROL");
    a.last_name_control = "LANT".into();
    a.trust_fund = TrustFund::Iolta;
    w.push(&a).unwrap();
    let file = w.finish().unwrap();
    assert_eq!(file.len(), 3 * 500, "only the good account was written");

    let mut m = Match::new(ssn("123456789"), "MAPLE LANTERN", "1");
    m.balance_dollars = -5;
    let mut answer = bank(FileIndicator::Match);
    let e = write_match_file(&answer, &[m.clone()], Encoding::Ascii).unwrap_err();
    assert_eq!(e.field_error().unwrap().code.as_str(), "BALANCE_NEGATIVE");
    answer.file_indicator = FileIndicator::AllAccounts;
    m.balance_dollars = 0;
    let e = write_match_file(&answer, &[m], Encoding::Ascii).unwrap_err();
    assert_eq!(e.field_error().unwrap().code.as_str(), "FILE_INDICATOR");

    let mut q = inquiry("123456789", "LANTERN", "MAPLE", "CASE-1");
    q.fips = "99000".into();
    let e = write_inquiry_file((2026, 3), &[q.clone()], Encoding::Ascii).unwrap_err();
    assert_eq!(e.field_error().unwrap().code.as_str(), "FIPS_CODE");
    q.fips = "20000".into();
    let e = write_inquiry_file((1999, 3), &[q.clone()], Encoding::Ascii).unwrap_err();
    assert_eq!(e.field_error().unwrap().code.as_str(), "YEAR_MONTH");
    q.passback = "A PASSBACK LONGER THAN 15".into();
    let e = write_inquiry_file((2026, 3), &[q], Encoding::Ascii).unwrap_err();
    let e = e.field_error().unwrap();
    assert_eq!(
        (e.code.as_str(), e.record, e.position),
        ("TOO_LONG", Some(2), Some(47))
    );
}

#[test]
fn no_ssn_name_or_balance_reaches_a_log_line() {
    let accounts = book();
    let a = &accounts[0];
    let shown = format!("{a:?}");
    assert!(!shown.contains(a.ssn.expose()), "{shown}");
    assert!(!shown.contains(&a.payee_name));
    assert!(!shown.contains(&a.account_number));
    assert!(shown.contains(&a.account_number[a.account_number.len() - 4..]));
    let q = inquiry("123456789", "LANTERN", "MAPLE", "CASE-1");
    assert!(!format!("{q:?}").contains("LANTERN"));
    assert!(!format!("{q:?}").contains("123456789"));

    // Errors: positions and codes, never the bytes.
    let mut file = Vec::new();
    generate::write_all_accounts(
        2,
        8,
        &[(1, ssn("123456789"))],
        Encoding::Ascii,
        &mut file,
        |_| {},
    )
    .unwrap();
    file[500 + 14..500 + 23].copy_from_slice(b"12345678X");
    let report: String = account_verdicts(&file, Encoding::Ascii)
        .map(|v| format!("{v} {v:?} {}", v.to_json_line()))
        .collect();
    assert!(report.contains("SSN_FORMAT"));
    assert!(!report.contains("12345678"), "{report}");
}

#[test]
fn accounts_matches_inquiries_and_institutions_convert_to_json_and_back() {
    let accounts = book();
    let json = serde_json::to_string(&accounts).unwrap();
    assert!(json.contains(r#""balance_indicator":"#));
    let back: Vec<Account> = serde_json::from_str(&json).unwrap();
    assert_eq!(back, accounts);

    let i = bank(FileIndicator::Match);
    let json = serde_json::to_value(&i).unwrap();
    assert_eq!(json["year_month"], "2026-03");
    assert_eq!(json["file_indicator"], "match");
    let back: Institution = serde_json::from_value(json).unwrap();
    assert_eq!(back, i);

    let mut m = Match::new(ssn("123456789"), "MAPLE LANTERN", "1");
    m.account_type = Some(ivd_fidm::AccountType::MoneyMarket);
    let json = serde_json::to_value(&m).unwrap();
    assert_eq!(json["account_type"], "money_market");
    assert_eq!(serde_json::from_value::<Match>(json).unwrap(), m);

    let q = inquiry("123456789", "LANTERN", "MAPLE", "CASE-1");
    let json = serde_json::to_string(&q).unwrap();
    assert_eq!(
        json,
        r#"{"ssn":"123456789","last_name":"LANTERN","first_name":"MAPLE","passback":"CASE-1","fips":"20000"}"#
    );
    assert_eq!(serde_json::from_str::<Inquiry>(&json).unwrap(), q);
}
