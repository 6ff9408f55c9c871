#![no_main]
//! Any text, through every string parser of the model (identifiers, money, dates) and
//! through a whole case as JSON, read by `ivd_casejson::read_case` (what
//! `PUT /state/v1/cases/{id}` and `check case-json` use). The first byte picks the
//! parser, the rest is the text. Nothing panics, every value that parses survives its
//! JSON form (serialise → deserialise gives it back), and every error `read_case`
//! reports points inside the input.

use ivd_model::{
    BirthDate, CaseId, CollectionId, CountryCode, Email, Fein, Fips, Money, OrderId, PersonId,
    PersonalText, Phone, Ssn, StateCode, StateFips, TribeCode, ZipCode,
};
use libfuzzer_sys::fuzz_target;
use serde::{Serialize, de::DeserializeOwned};

use ivd_casejson as canonical;

/// `value` came from parsing; its JSON form must read back as the same value.
fn round_trips<T: Serialize + DeserializeOwned + PartialEq>(value: &T) {
    let json = serde_json::to_string(value).expect("a parsed value serialises");
    let again: T = serde_json::from_str(&json).expect("its JSON form reads back");
    assert!(again == *value, "a value changed through its JSON form");
}

fn check<T, E>(parsed: Result<T, E>)
where
    T: Serialize + DeserializeOwned + PartialEq,
    E: std::fmt::Display,
{
    match parsed {
        Ok(value) => round_trips(&value),
        Err(error) => {
            let _ = error.to_string();
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let s = text.as_ref();
    match selector % 18 {
        0 => check(Ssn::parse(s)),
        1 => check(Fein::parse(s)),
        2 => check(Fips::parse(s)),
        3 => check(StateFips::parse(s)),
        4 => check(CaseId::parse(s)),
        5 => check(PersonId::parse(s)),
        6 => check(OrderId::parse(s)),
        7 => check(CollectionId::parse(s)),
        8 => check(BirthDate::parse(s)),
        9 => check(Phone::parse(s)),
        10 => check(Email::parse(s)),
        11 => check(PersonalText::parse(s)),
        12 => check(StateCode::parse(s)),
        13 => check(CountryCode::parse(s)),
        14 => check(ZipCode::parse(s)),
        15 => check(TribeCode::parse(s)),
        16 => {
            let parsed = Money::parse(s);
            if let Ok(money) = parsed {
                // The decimal form is the canonical one: it parses back to the same cents.
                assert_eq!(Money::parse(&money.to_string()), Ok(money));
            }
            check(parsed);
        }
        _ => {
            // A whole case: raw bytes, as the state system sends them (not the lossy text).
            match canonical::read_case(rest) {
                Ok(case) => {
                    let _ = case.redacted_for_disclosure();
                    round_trips(&case);
                }
                Err(errors) => {
                    assert!(!errors.is_empty(), "a refused case names its problem");
                    for e in &errors {
                        if let Some(position) = e.position {
                            assert!(
                                (1..=rest.len() + 1).contains(&position),
                                "error position {position} outside a {}-byte input",
                                rest.len()
                            );
                        }
                    }
                }
            }
        }
    }
});
