//! Property tests of the newtypes: valid values round-trip and never print in clear;
//! arbitrary input never panics a constructor.

use crate::testing;
use crate::*;
use proptest::prelude::*;

proptest! {
    #[test]
    fn ssn_roundtrips_and_stays_masked(ssn in testing::ssn()) {
        prop_assert_eq!(Ssn::parse(ssn.expose()).unwrap(), ssn.clone());
        let e = ssn.expose();
        let dashed = format!("{}-{}-{}", &e[..3], &e[3..5], &e[5..]);
        prop_assert_eq!(Ssn::parse(&dashed).unwrap(), ssn.clone());
        for out in [format!("{ssn:?}"), format!("{ssn}"), format!("{ssn:#?}")] {
            prop_assert!(!out.contains(e));
            prop_assert!(!out.contains(&dashed));
            prop_assert!(!out.contains(&e[..5]));
            let ends = out.trim_end_matches(')').ends_with(&e[5..]);
            prop_assert!(ends);
        }
        let json = serde_json::to_string(&ssn).unwrap();
        prop_assert_eq!(serde_json::from_str::<Ssn>(&json).unwrap(), ssn);
    }

    #[test]
    fn fein_roundtrips_and_stays_masked(fein in testing::fein()) {
        prop_assert_eq!(Fein::parse(fein.expose()).unwrap(), fein.clone());
        let dashed = format!("{}-{}", &fein.expose()[..2], &fein.expose()[2..]);
        prop_assert_eq!(Fein::parse(&dashed).unwrap(), fein.clone());
        let out = format!("{fein:?}{fein}");
        prop_assert!(!out.contains(&fein.expose()[..5]));
    }

    #[test]
    fn clear_ids_roundtrip(fips in testing::fips(), id in testing::case_id(), t in testing::tribe_code()) {
        prop_assert_eq!(Fips::parse(&fips.to_string()).unwrap(), fips.clone());
        prop_assert_eq!(CaseId::parse(&id.to_string()).unwrap(), id);
        prop_assert_eq!(TribeCode::parse(&t.to_string()).unwrap(), t);
        let (s, c, l) = (fips.state(), fips.county(), fips.local());
        prop_assert_eq!(format!("{}{c}{l}", s.as_str()), fips.as_str());
    }

    #[test]
    fn money_display_roundtrips(m in testing::money()) {
        prop_assert_eq!(Money::parse(&m.to_string()).unwrap(), m);
        let json = serde_json::to_string(&m).unwrap();
        prop_assert_eq!(serde_json::from_str::<Money>(&json).unwrap(), m);
    }

    #[test]
    fn money_checked_ops_match_i128(a in testing::money(), b in testing::money()) {
        let sum = i128::from(a.cents()) + i128::from(b.cents());
        prop_assert_eq!(a.checked_add(b).map(|m| i128::from(m.cents())), i64::try_from(sum).ok().map(i128::from));
        let diff = i128::from(a.cents()) - i128::from(b.cents());
        prop_assert_eq!(a.checked_sub(b).map(|m| i128::from(m.cents())), i64::try_from(diff).ok().map(i128::from));
    }

    #[test]
    fn personal_types_stay_masked(
        name in testing::person_name(),
        phone in testing::phone(),
        email in testing::email(),
        zip in testing::zip(),
        line in testing::street_line(),
    ) {
        let p = name.expose();
        let out = format!("{name:?}{name}");
        if p.first.len() > 1 { prop_assert!(!out.contains(p.first)); }
        if p.last.len() > 1 { prop_assert!(!out.contains(p.last)); }
        let (ph, em, zp, ln) = (
            format!("{phone:?}{phone}"),
            format!("{email:?}{email}"),
            format!("{zip:?}{zip}"),
            format!("{line:?}{line}"),
        );
        prop_assert!(!ph.contains(&phone.expose()[..6]));
        prop_assert!(!em.contains(email.expose()));
        prop_assert!(!zp.contains(zip.zip5()));
        prop_assert!(!ln.contains(line.expose()));
        prop_assert_eq!(Phone::parse(phone.expose()).unwrap(), phone);
        prop_assert_eq!(ZipCode::parse(zip.expose()).unwrap(), zip);
    }

    #[test]
    fn no_constructor_panics_on_any_string(s in "\\PC{0,40}") {
        let _ = Ssn::parse(&s);
        let _ = Fein::parse(&s);
        let _ = Fips::parse(&s);
        let _ = StateFips::parse(&s);
        let _ = CaseId::parse(&s);
        let _ = TribeCode::parse(&s);
        let _ = PersonId::parse(&s);
        let _ = Money::parse(&s);
        let _ = Phone::parse(&s);
        let _ = Email::parse(&s);
        let _ = ZipCode::parse(&s);
        let _ = StateCode::parse(&s);
        let _ = CountryCode::parse(&s);
        let _ = BirthDate::parse(&s);
        let _ = PersonalText::parse(&s);
        let _ = PersonName::new(&s, Some(&s), &s, None);
    }

    #[test]
    fn no_constructor_panics_on_digit_like_strings(s in "[0-9.\\-() ]{0,25}") {
        let _ = Ssn::parse(&s);
        let _ = Fein::parse(&s);
        let _ = Fips::parse(&s);
        let _ = Money::parse(&s);
        let _ = Phone::parse(&s);
        let _ = ZipCode::parse(&s);
        let _ = BirthDate::parse(&s);
    }

    #[test]
    fn rejected_ssn_errors_never_echo_input(s in "[0-9-]{9,11}") {
        if let Err(e) = Ssn::parse(&s) {
            prop_assert!(!e.to_string().contains(&s));
            let json = format!("\"{s}\"");
            let err = serde_json::from_str::<Ssn>(&json).unwrap_err().to_string();
            prop_assert!(!err.contains(&s));
        }
    }
}
