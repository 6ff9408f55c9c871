//! The committed samples (synthetic people only): each reads valid (or gives exactly the
//! committed verdicts), and each is written back byte for byte.
//!
//! Regenerate them after a deliberate layout change with
//! `cargo test -p ivd-fidm --test samples -- --ignored regenerate`.

use std::path::PathBuf;

use ivd_fidm::layouts::{self, RECORD_LEN};
use ivd_fidm::{
    Account, AccountStatus, AccountType, BalanceIndicator, BirthDate, Encoding, FileIndicator,
    Framing, Inquiry, Institution, Match, MatchFlag, PayeeIndicator, PostalAddress, TrustFund,
    UpdateIndicator, account_verdicts, read_accounts, read_inquiry_file, read_match_file,
    write_accounts, write_inquiry_file_with, write_match_file_with,
};
use time::macros::date;

fn path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(name)
}

fn sample(name: &str) -> Vec<u8> {
    std::fs::read(path(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn bank(file_indicator: FileIndicator) -> Institution {
    Institution {
        tin: "480000017".parse().unwrap(),
        name_control: "PRAI".into(),
        name: "PRAIRIE SAVINGS BANK".into(),
        second_name: String::new(),
        address: PostalAddress {
            street: "100 MAIN ST".into(),
            city: "TOPEKA".into(),
            state: "KS".into(),
            zip: "666030001".into(),
        },
        transmitter_tin: Some("480000025".parse().unwrap()),
        transmitter_name: "PLAINS DATA SERVICES".into(),
        transmitter_address: PostalAddress {
            street: "20 COMMERCE WAY".into(),
            city: "WICHITA".into(),
            state: "KS".into(),
            zip: "67202".into(),
        },
        year_month: (2026, 3),
        file_indicator,
        media_sequence: Some(1),
        test: true,
        service_bureau: true,
        foreign: false,
        transfer_agent: false,
    }
}

fn accounts() -> Vec<Account> {
    let home = |street: &str| PostalAddress {
        street: street.into(),
        city: "TOPEKA".into(),
        state: "KS".into(),
        zip: "66604".into(),
    };
    vec![
        Account {
            record: 2,
            ssn: "123456789".parse().unwrap(),
            last_name_control: "LANT".into(),
            account_number: "00001234567890".into(),
            title: "MAPLE LANTERN".into(),
            foreign: false,
            payee_name: "MAPLE LANTERN".into(),
            second_payee_name: String::new(),
            address: home("12 ELM ST"),
            balance_dollars: 4_250,
            balance_indicator: BalanceIndicator::Current,
            trust_fund: TrustFund::NotTrust,
            account_type: Some(AccountType::Checking),
            update: None,
            birth_date: Some(BirthDate::from_date(date!(1985 - 07 - 14))),
        },
        Account {
            record: 3,
            ssn: "234567891".parse().unwrap(),
            last_name_control: "HARB".into(),
            account_number: "00009876543210".into(),
            title: "RIVER HARBOR OR FERN HARBOR".into(),
            foreign: false,
            payee_name: "RIVER HARBOR".into(),
            second_payee_name: "FERN HARBOR".into(),
            address: home("400 LAKE AVE APT 2"),
            balance_dollars: -35,
            balance_indicator: BalanceIndicator::Current,
            trust_fund: TrustFund::NotTrust,
            account_type: Some(AccountType::Savings),
            update: None,
            birth_date: None,
        },
        Account {
            record: 4,
            ssn: "345678912".parse().unwrap(),
            last_name_control: "OMEA".into(),
            account_number: "IRA-0000042".into(),
            title: "PEARL O'MEADOW IRA".into(),
            foreign: false,
            payee_name: "PEARL O'MEADOW".into(),
            second_payee_name: String::new(),
            address: home("7 PARK CT"),
            balance_dollars: 0,
            balance_indicator: BalanceIndicator::NotProvided,
            trust_fund: TrustFund::NotAvailable,
            account_type: Some(AccountType::Ira),
            update: None,
            birth_date: Some(BirthDate::from_date(date!(1961 - 02 - 28))),
        },
    ]
}

fn inquiries() -> Vec<Inquiry> {
    vec![
        Inquiry {
            ssn: "123456789".parse().unwrap(),
            last_name: "LANTERN".into(),
            first_name: "MAPLE".into(),
            passback: "CSE0000000101".into(),
            fips: "20000".into(),
        },
        Inquiry {
            ssn: "456789123".parse().unwrap(),
            last_name: "KETTLE".into(),
            first_name: "SAGE".into(),
            passback: "CSE0000000202".into(),
            fips: "20177".into(),
        },
        Inquiry {
            ssn: "234567891".parse().unwrap(),
            last_name: "HARBOUR".into(),
            first_name: "RIVER".into(),
            passback: "CSE0000000303".into(),
            fips: "20000".into(),
        },
    ]
}

fn matches() -> Vec<Match> {
    let a = accounts();
    let mut first = Match::new(a[0].ssn.clone(), &a[0].payee_name, &a[0].account_number);
    first.record = 2;
    first.last_name_control = "LANT".into();
    first.title = a[0].title.clone();
    first.address = a[0].address.clone();
    first.fips_passback = "20000".into();
    first.passback = "CSE0000000101".into();
    first.balance_dollars = 4_250;
    first.match_flag = Some(MatchFlag::NameMatches);
    first.trust_fund = Some(TrustFund::NotTrust);
    first.payee_indicator = Some(PayeeIndicator::SoleOwner);
    first.balance_indicator = Some(BalanceIndicator::Current);
    first.account_status = Some(AccountStatus::Open);
    first.birth_date = a[0].birth_date;
    first.account_type = Some(AccountType::Checking);
    let mut second = Match::new(a[1].ssn.clone(), &a[1].payee_name, &a[1].account_number);
    second.record = 3;
    second.last_name_control = "HARB".into();
    second.title = a[1].title.clone();
    second.second_payee_name = a[1].second_payee_name.clone();
    second.address = a[1].address.clone();
    second.fips_passback = "20000".into();
    second.passback = "CSE0000000303".into();
    second.balance_dollars = 0; // overdrawn: reported as zeros
    second.match_flag = Some(MatchFlag::NameDiffers); // HARBOUR asked, HARBOR held
    second.trust_fund = Some(TrustFund::NotTrust);
    second.payee_indicator = Some(PayeeIndicator::PrimaryWithOthers);
    second.balance_indicator = Some(BalanceIndicator::Current);
    second.account_status = Some(AccountStatus::Open);
    second.account_type = Some(AccountType::Savings);
    vec![first, second]
}

fn all_accounts_file(encoding: Encoding, framing: Framing) -> Vec<u8> {
    let mut w =
        write_accounts(&bank(FileIndicator::AllAccounts), encoding, Vec::new()).framing(framing);
    for a in accounts() {
        w.push(&a).unwrap();
    }
    w.finish().unwrap()
}

fn update_file() -> Vec<u8> {
    let mut w = write_accounts(&bank(FileIndicator::Update), Encoding::Ascii, Vec::new())
        .framing(Framing::Lf);
    let mut closed = accounts().remove(1);
    closed.update = Some(UpdateIndicator::Delete);
    closed.trust_fund = TrustFund::NotTrust;
    closed.balance_dollars = 0;
    closed.balance_indicator = BalanceIndicator::NotProvided;
    w.push(&closed).unwrap();
    w.finish().unwrap()
}

/// `mixed-accounts.txt`: the all-accounts sample with one thing wrong in each B record
/// and a trailer that counts one account too many.
fn mixed_accounts() -> Vec<u8> {
    let mut f = all_accounts_file(Encoding::Ascii, Framing::Lf);
    let line = RECORD_LEN + 1;
    let rec = |n: usize, pos: usize| (n - 1) * line + pos - 1;
    f[rec(2, 15)..rec(2, 15) + 3].copy_from_slice(b"666"); // SSN area
    f[rec(3, 361)] = b'0'; // balance indicator 0 with a balance of -35
    f[rec(4, 371)..rec(4, 371) + 2].copy_from_slice(b"02"); // no such account type
    f[rec(4, 311)..rec(4, 311) + 2].copy_from_slice(b"XX"); // no such state
    f[rec(5, 9)] = b'4'; // T counts 4
    f
}

const SAMPLES: &[(&str, Encoding)] = &[
    ("all-accounts.txt", Encoding::Ascii),
    ("all-accounts.ebc", Encoding::Ebcdic037),
    ("update.txt", Encoding::Ascii),
    ("match.txt", Encoding::Ascii),
    ("match.ebc", Encoding::Ebcdic037),
    ("inquiry.txt", Encoding::Ascii),
    ("inquiry.ebc", Encoding::Ebcdic037),
];

fn build(name: &str) -> Vec<u8> {
    let m = bank(FileIndicator::Match);
    match name {
        "all-accounts.txt" => all_accounts_file(Encoding::Ascii, Framing::Lf),
        "all-accounts.ebc" => all_accounts_file(Encoding::Ebcdic037, Framing::Fixed),
        "update.txt" => update_file(),
        "match.txt" => write_match_file_with(&m, &matches(), Encoding::Ascii, Framing::Lf).unwrap(),
        "match.ebc" => {
            write_match_file_with(&m, &matches(), Encoding::Ebcdic037, Framing::Fixed).unwrap()
        }
        "inquiry.txt" => {
            write_inquiry_file_with((2026, 3), &inquiries(), Encoding::Ascii, Framing::Lf).unwrap()
        }
        "inquiry.ebc" => {
            write_inquiry_file_with((2026, 3), &inquiries(), Encoding::Ebcdic037, Framing::Fixed)
                .unwrap()
        }
        "mixed-accounts.txt" => mixed_accounts(),
        _ => unreachable!("{name}"),
    }
}

fn mixed_verdicts() -> String {
    account_verdicts(&mixed_accounts(), Encoding::Ascii)
        .map(|v| v.to_json_line() + "\n")
        .collect()
}

#[test]
#[ignore = "rewrites the committed samples"]
fn regenerate() {
    for (name, _) in SAMPLES {
        std::fs::write(path(name), build(name)).unwrap();
    }
    std::fs::write(path("mixed-accounts.txt"), mixed_accounts()).unwrap();
    std::fs::write(path("mixed-accounts.verdicts.jsonl"), mixed_verdicts()).unwrap();
}

#[test]
fn every_sample_is_what_the_writer_writes_today() {
    for (name, _) in SAMPLES {
        assert!(
            sample(name) == build(name),
            "{name} differs from what the writer writes"
        );
    }
    assert!(sample("mixed-accounts.txt") == mixed_accounts());
}

#[test]
fn every_sample_reads_valid_and_back_to_the_same_values() {
    for enc in [Encoding::Ascii, Encoding::Ebcdic037] {
        let (acc, mat, inq) = match enc {
            Encoding::Ascii => ("all-accounts.txt", "match.txt", "inquiry.txt"),
            Encoding::Ebcdic037 => ("all-accounts.ebc", "match.ebc", "inquiry.ebc"),
        };
        let bytes = sample(acc);
        let mut r = read_accounts(&bytes[..], enc);
        assert_eq!(r.institution(), Some(&bank(FileIndicator::AllAccounts)));
        let got: Vec<_> = r.by_ref().map(|o| o.account.expect("valid")).collect();
        assert_eq!(got, accounts());

        let file = read_match_file(&sample(mat), enc);
        assert!(file.is_valid(), "{:?}", file.verdicts);
        assert_eq!(file.matches, matches());
        assert_eq!(file.institution, Some(bank(FileIndicator::Match)));

        let file = read_inquiry_file(&sample(inq), enc);
        assert!(file.is_valid(), "{:?}", file.verdicts);
        assert_eq!(file.inquiries, inquiries());
        assert_eq!(file.year_month, Some((2026, 3)));
    }
    let upd: Vec<_> = read_accounts(&sample("update.txt")[..], Encoding::Ascii).collect();
    assert_eq!(upd.len(), 1);
    assert_eq!(
        upd[0].account.as_ref().and_then(|a| a.update),
        Some(UpdateIndicator::Delete)
    );
}

#[test]
fn every_record_of_every_sample_rewrites_byte_for_byte_through_its_layout() {
    let text = |name: &str, len: usize| -> Vec<Vec<u8>> {
        sample(name)
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| {
                assert_eq!(l.len(), len, "{name}");
                l.to_vec()
            })
            .collect()
    };
    let check = |layout: &ivd_fixed::Layout, rec: &[u8]| {
        assert_eq!(layout.rewrite(rec).as_deref(), Ok(rec), "{}", layout.name);
    };
    for name in ["all-accounts.txt", "update.txt"] {
        let recs = text(name, RECORD_LEN);
        check(&layouts::A_RECORD, &recs[0]);
        recs[1..recs.len() - 1]
            .iter()
            .for_each(|r| check(&layouts::ACCOUNT_RECORD, r));
        check(&layouts::T_RECORD, &recs[recs.len() - 1]);
    }
    let recs = text("match.txt", RECORD_LEN);
    check(&layouts::A_RECORD, &recs[0]);
    check(&layouts::MATCH_RECORD, &recs[1]);
    check(&layouts::MATCH_RECORD, &recs[2]);
    check(&layouts::T_RECORD, &recs[3]);
    let recs = text("inquiry.txt", layouts::INQUIRY_LEN);
    check(&layouts::INQUIRY_D_RECORD, &recs[0]);
    check(&layouts::INQUIRY_I_RECORD, &recs[1]);
    check(&layouts::INQUIRY_T_RECORD, &recs[4]);
}

#[test]
fn the_mixed_sample_gives_exactly_the_committed_verdicts() {
    let committed = String::from_utf8(sample("mixed-accounts.verdicts.jsonl")).unwrap();
    assert_eq!(mixed_verdicts(), committed);
    for ssn in ["123456789", "234567891", "345678912", "666456789"] {
        assert!(!committed.contains(ssn));
    }
}

#[test]
fn the_ebcdic_samples_are_the_ascii_samples_translated() {
    let strip = |b: Vec<u8>| -> Vec<u8> { b.into_iter().filter(|&c| c != b'\n').collect() };
    for (ascii, ebcdic) in [
        ("all-accounts.txt", "all-accounts.ebc"),
        ("match.txt", "match.ebc"),
        ("inquiry.txt", "inquiry.ebc"),
    ] {
        let decoded = Encoding::Ebcdic037.decode(&sample(ebcdic)).into_owned();
        assert_eq!(decoded, strip(sample(ascii)), "{ebcdic}");
    }
}
