//! Properties: whatever valid values go in come back out of write → read, in both
//! encodings and every framing; and no bytes make a reader panic.

use ivd_fidm::{
    Account, AccountStatus, AccountType, BalanceIndicator, BirthDate, Encoding, FileIndicator,
    Framing, Inquiry, Institution, Match, MatchFlag, PayeeIndicator, PostalAddress, TrustFund,
    UpdateIndicator, account_verdicts, inquiry_verdicts, match_verdicts, read_accounts,
    read_inquiry_file, read_match_file, write_accounts, write_inquiry_file_with,
    write_match_file_with,
};
use ivd_model::testing;
use proptest::prelude::*;
use proptest::sample::select;

/// Printable text of at most `max` bytes, without leading or trailing blanks (the reader
/// trims trailing blanks, and a blank is "absent").
fn text(max: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!(
        "([A-Z0-9'&.,#/-][A-Z0-9 '&.,#/-]{{0,{}}})?",
        max.saturating_sub(2)
    ))
    .unwrap()
    .prop_map(|s| s.trim_end().to_owned())
}

fn required(max: usize) -> impl Strategy<Value = String> {
    text(max).prop_filter("required", |s| !s.is_empty())
}

fn address() -> impl Strategy<Value = PostalAddress> {
    (
        text(40),
        text(29),
        prop_oneof![
            Just(String::new()),
            select(vec!["KS", "MO", "PR", "DC", "AE"]).prop_map(String::from)
        ],
        prop_oneof![Just(String::new()), "[0-9]{5}", "[0-9]{9}"],
    )
        .prop_map(|(street, city, state, zip)| PostalAddress {
            street,
            city,
            state,
            zip,
        })
}

fn year_month() -> impl Strategy<Value = (u16, u8)> {
    (2000u16..=2099, 1u8..=12)
}

fn institution(kind: FileIndicator) -> impl Strategy<Value = Institution> {
    (
        (
            testing::fein(),
            "[A-Z]{0,4}",
            required(40),
            text(40),
            address(),
            year_month(),
        ),
        (
            proptest::option::of(testing::fein()),
            text(71),
            address(),
            proptest::option::of(0u16..=999),
        ),
        (any::<bool>(), any::<bool>(), any::<bool>()),
    )
        .prop_map(
            move |(
                (tin, nc, name, second, mut addr, ym),
                (ttin, tname, taddr, seq),
                (test, sb, ta),
            )| {
                if addr.state.is_empty() {
                    addr.state = "KS".into();
                }
                Institution {
                    tin,
                    name_control: nc,
                    name,
                    second_name: second,
                    address: addr,
                    transmitter_tin: ttin,
                    transmitter_name: tname,
                    transmitter_address: taddr,
                    year_month: ym,
                    file_indicator: kind,
                    media_sequence: seq,
                    test,
                    service_bureau: sb,
                    foreign: false,
                    transfer_agent: ta,
                }
            },
        )
}

fn birth() -> impl Strategy<Value = Option<BirthDate>> {
    proptest::option::of(testing::date().prop_map(BirthDate::from_date))
}

fn account(update: bool) -> impl Strategy<Value = Account> {
    (
        (
            testing::ssn(),
            "[A-Z0-9&-]{1,4}",
            required(20),
            text(100),
            required(40),
            text(40),
            address(),
        ),
        (
            -999_999i64..=999_999,
            select(BalanceIndicator::ALL.to_vec()),
            select(TrustFund::ALL.to_vec()),
        ),
        (
            proptest::option::of(select(AccountType::ALL.to_vec())),
            select(UpdateIndicator::ALL.to_vec()),
            birth(),
        ),
    )
        .prop_map(
            move |(
                (ssn, nc, number, title, payee, second, address),
                (balance, bi, tf),
                (at, up, birth_date),
            )| Account {
                record: 0,
                ssn,
                last_name_control: nc,
                account_number: number,
                title,
                foreign: false,
                payee_name: payee,
                second_payee_name: second,
                address,
                balance_dollars: if bi == BalanceIndicator::NotProvided {
                    0
                } else {
                    balance
                },
                balance_indicator: bi,
                trust_fund: tf,
                account_type: at,
                update: update.then_some(up),
                birth_date,
            },
        )
}

fn a_match() -> impl Strategy<Value = Match> {
    (
        (
            testing::ssn(),
            "[A-Z0-9&-]{0,4}",
            required(40),
            text(40),
            required(20),
            text(100),
            address(),
        ),
        (
            text(5),
            text(23),
            0i64..=999_999,
            proptest::option::of(select(MatchFlag::ALL.to_vec())),
            proptest::option::of(select(TrustFund::ALL.to_vec())),
        ),
        (
            proptest::option::of(select(PayeeIndicator::ALL.to_vec())),
            proptest::option::of(select(BalanceIndicator::ALL.to_vec())),
            proptest::option::of(select(AccountStatus::ALL.to_vec())),
            birth(),
            proptest::option::of(select(AccountType::ALL.to_vec())),
        ),
        (
            proptest::option::of(testing::ssn()),
            proptest::option::of(testing::ssn()),
        ),
    )
        .prop_map(
            |(
                (ssn, nc, name, second, number, title, address),
                (fips, pass, balance, flag, tf),
                (pi, bi, st, birth_date, at),
                (p, s),
            )| {
                let mut m = Match::new(ssn, &name, &number);
                m.last_name_control = nc;
                m.second_payee_name = second;
                m.title = title;
                m.address = address;
                m.fips_passback = fips;
                m.passback = pass;
                m.balance_dollars = if bi == Some(BalanceIndicator::NotProvided) {
                    0
                } else {
                    balance
                };
                m.match_flag = flag;
                m.trust_fund = tf;
                m.payee_indicator = pi;
                m.balance_indicator = bi;
                m.account_status = st;
                m.birth_date = birth_date;
                m.account_type = at;
                m.primary_ssn = p;
                m.second_payee_ssn = s;
                m
            },
        )
}

fn inquiry() -> impl Strategy<Value = Inquiry> {
    (
        testing::ssn(),
        required(20),
        text(16),
        text(15),
        select(vec!["20000", "27123", "72001"]),
    )
        .prop_map(|(ssn, last, first, passback, fips)| Inquiry {
            ssn,
            last_name: last,
            first_name: first,
            passback,
            fips: fips.into(),
        })
}

fn encoding() -> impl Strategy<Value = Encoding> {
    select(vec![Encoding::Ascii, Encoding::Ebcdic037])
}

fn framing() -> impl Strategy<Value = Framing> {
    select(vec![Framing::Fixed, Framing::Lf, Framing::CrLf])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn accounts_survive_write_then_read(
        update in any::<bool>(),
        inst in institution(FileIndicator::AllAccounts),
        accounts in proptest::collection::vec(account(false), 0..5),
        updates in proptest::collection::vec(account(true), 0..5),
        enc in encoding(),
        fr in framing(),
    ) {
        let (mut inst, accounts) = if update { (inst, updates) } else { (inst, accounts) };
        if update {
            inst.file_indicator = FileIndicator::Update;
        }
        let mut w = write_accounts(&inst, enc, Vec::new()).framing(fr);
        for a in &accounts {
            w.push(a).unwrap();
        }
        let bytes = w.finish().unwrap();
        let mut r = read_accounts(&bytes[..], enc);
        prop_assert_eq!(r.institution(), Some(&inst));
        let back: Vec<_> = r.by_ref().map(|o| o.account.expect("valid")).collect();
        let want: Vec<_> = accounts.iter().enumerate().map(|(i, a)| Account { record: i as u64 + 2, ..a.clone() }).collect();
        prop_assert_eq!(back, want);
        prop_assert!(account_verdicts(&bytes, enc).all(|v| v.is_valid()));
    }

    #[test]
    fn matches_survive_write_then_read(
        inst in institution(FileIndicator::Match),
        matches in proptest::collection::vec(a_match(), 0..5),
        enc in encoding(),
        fr in framing(),
    ) {
        let bytes = write_match_file_with(&inst, &matches, enc, fr).unwrap();
        let file = read_match_file(&bytes, enc);
        prop_assert!(file.is_valid());
        prop_assert_eq!(file.institution, Some(inst));
        let want: Vec<_> = matches.iter().enumerate().map(|(i, m)| Match { record: i as u64 + 2, ..m.clone() }).collect();
        prop_assert_eq!(file.matches, want);
        prop_assert_eq!(file.verdicts.len(), matches.len() + 2);
    }

    #[test]
    fn inquiries_survive_write_then_read(
        ym in year_month(),
        inquiries in proptest::collection::vec(inquiry(), 0..8),
        enc in encoding(),
        fr in framing(),
    ) {
        let bytes = write_inquiry_file_with(ym, &inquiries, enc, fr).unwrap();
        let file = read_inquiry_file(&bytes, enc);
        prop_assert!(file.is_valid());
        prop_assert_eq!(file.year_month, Some(ym));
        prop_assert_eq!(file.inquiries, inquiries);
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2_000), enc in encoding()) {
        let _ = read_accounts(&bytes[..], enc).count();
        let _ = read_match_file(&bytes, enc);
        let _ = read_inquiry_file(&bytes, enc);
        for v in account_verdicts(&bytes, enc).chain(match_verdicts(&bytes, enc)).chain(inquiry_verdicts(&bytes, enc)) {
            let _ = v.to_json_line();
        }
    }

    #[test]
    fn damaged_files_never_panic_and_every_record_gets_a_verdict(
        inquiries in proptest::collection::vec(inquiry(), 1..4),
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        enc in encoding(),
    ) {
        let mut bytes = write_inquiry_file_with((2026, 3), &inquiries, enc, Framing::Fixed).unwrap();
        for (at, b) in flips {
            let i = at.index(bytes.len());
            bytes[i] = b;
        }
        let file = read_inquiry_file(&bytes, enc);
        prop_assert!(!file.verdicts.is_empty());
        let numbers: Vec<_> = file.verdicts.iter().map(|v| v.record).collect();
        prop_assert!(numbers.windows(2).all(|w| w[0] < w[1]), "{:?}", numbers);
    }
}
