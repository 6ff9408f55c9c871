//! Proptest strategies for the model, for this crate's tests and other crates' property
//! tests (feature `proptest-support`).
//!
//! Every strategy yields valid values: newtypes that passed `parse`, and cases that pass
//! [`Case::validate`]. [`case`] includes protected persons (FVI) and nondisclosure findings
//! often enough that redaction properties are exercised on most runs; [`protected_case`]
//! always has at least one protected person.
//!
//! All generated data is synthetic by construction: names are random letters, emails use
//! `example.*` domains.

use crate::codes::*;
use crate::ids::*;
use crate::{
    Address, Arrears, Case, Collection, ContactPhone, Employer, FamilyViolenceIndicator,
    Jurisdiction, Money, Obligation, Participant, Person, SupportOrder,
};
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::{select, subsequence};
use time::Date;

const VALID_FEIN_PREFIXES: &[u8] = &[
    1, 2, 3, 4, 5, 6, 10, 11, 12, 13, 14, 15, 16, 20, 21, 22, 23, 24, 25, 26, 27, 30, 31, 32, 33,
    34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 50, 51, 52, 53, 54, 55, 56, 57, 58,
    59, 60, 61, 62, 63, 64, 65, 66, 67, 68, 71, 72, 73, 74, 75, 76, 77, 80, 81, 82, 83, 84, 85, 86,
    87, 88, 90, 91, 92, 93, 94, 95, 98, 99,
];

fn parsed<T>(r: Result<T, crate::IdError>) -> T {
    r.expect("strategy builds only valid values")
}

/// Valid SSNs (area 001–899 except 666, group 01–99, serial 0001–9999).
pub fn ssn() -> impl Strategy<Value = Ssn> {
    (
        (1u16..=899).prop_filter("666 is never issued", |a| *a != 666),
        1u8..=99,
        1u16..=9999,
    )
        .prop_map(|(a, g, s)| parsed(Ssn::parse(&format!("{a:03}{g:02}{s:04}"))))
}

/// Valid FEINs (valid IRS prefix, any 7 digits).
pub fn fein() -> impl Strategy<Value = Fein> {
    (select(VALID_FEIN_PREFIXES), 0u32..=9_999_999)
        .prop_map(|(p, n)| parsed(Fein::parse(&format!("{p:02}{n:07}"))))
}

/// Valid state FIPS codes.
pub fn state_fips() -> impl Strategy<Value = StateFips> {
    select(StateFips::all().collect::<Vec<_>>())
}

/// Valid 7-digit FIPS codes.
pub fn fips() -> impl Strategy<Value = Fips> {
    (state_fips(), 0u16..=999, 0u8..=99)
        .prop_map(|(s, c, l)| parsed(Fips::parse(&format!("{}{c:03}{l:02}", s.as_str()))))
}

/// Valid IV-D case ids.
pub fn case_id() -> impl Strategy<Value = CaseId> {
    "[A-Z0-9-]{1,15}".prop_map(|s| parsed(CaseId::parse(&s)))
}

/// Valid Tribe codes.
pub fn tribe_code() -> impl Strategy<Value = TribeCode> {
    "[A-Z0-9]{3,10}".prop_map(|s| parsed(TribeCode::parse(&s)))
}

/// Any amount, negative and extreme ones included.
pub fn money() -> impl Strategy<Value = Money> {
    any::<i64>().prop_map(Money::from_cents)
}

/// Amounts from 0.00 to 99,999.99.
pub fn small_money() -> impl Strategy<Value = Money> {
    (0i64..10_000_000).prop_map(Money::from_cents)
}

/// Dates from 1950 to 2040.
pub fn date() -> impl Strategy<Value = Date> {
    (1950i32..=2040, 1u8..=12, 1u8..=28).prop_map(|(y, m, d)| {
        let month = time::Month::try_from(m).expect("1..=12");
        Date::from_calendar_date(y, month, d).expect("day 1..=28 exists in every month")
    })
}

/// Synthetic names: random capital letters.
pub fn person_name() -> impl Strategy<Value = PersonName> {
    (
        "[A-Z]{1,12}",
        option::of("[A-Z]{1,8}"),
        "[A-Z][A-Z' -]{0,14}[A-Z]",
        option::of(select(vec!["JR", "SR", "II", "III"])),
    )
        .prop_map(|(f, m, l, s)| parsed(PersonName::new(&f, m.as_deref(), &l, s)))
}

/// Valid NANP phone numbers.
pub fn phone() -> impl Strategy<Value = Phone> {
    (200u16..=999, 200u16..=999, 0u16..=9999)
        .prop_map(|(a, e, n)| parsed(Phone::parse(&format!("{a}{e}{n:04}"))))
}

/// Emails at `example.*` domains.
pub fn email() -> impl Strategy<Value = Email> {
    "[a-z]{1,10}(\\.[a-z0-9]{1,10})?@example\\.(org|net|com)".prop_map(|s| parsed(Email::parse(&s)))
}

/// ZIP and ZIP+4 codes.
pub fn zip() -> impl Strategy<Value = ZipCode> {
    "[0-9]{5}(-[0-9]{4})?".prop_map(|s| parsed(ZipCode::parse(&s)))
}

/// Street-line-like personal text.
pub fn street_line() -> impl Strategy<Value = PersonalText> {
    "[1-9][0-9]{0,4} [A-Z]{2,12} (ST|AVE|RD|WAY|LN)( APT [0-9]{1,3})?"
        .prop_map(|s| parsed(PersonalText::parse(&s)))
}

/// City-like personal text.
pub fn city() -> impl Strategy<Value = PersonalText> {
    "[A-Z]{2,12}( [A-Z]{2,10})?".prop_map(|s| parsed(PersonalText::parse(&s)))
}

/// Valid addresses, domestic or foreign.
pub fn address() -> impl Strategy<Value = Address> {
    let domestic = (select(StateCode::all().collect::<Vec<_>>()), zip())
        .prop_map(|(s, z)| (AddressScope::Domestic, Some(s), Some(z), None, None));
    let foreign = (
        "[A-Z]{2}".prop_filter("US is not foreign", |c| c != "US"),
        option::of(city()),
    )
        .prop_map(|(c, p)| {
            (
                AddressScope::Foreign,
                None,
                None,
                p,
                Some(parsed(CountryCode::parse(&c))),
            )
        });
    (
        select(AddressKind::ALL.to_vec()),
        prop_oneof![4 => domestic, 1 => foreign],
        vec(street_line(), 1..=3),
        city(),
        option::of(date()),
    )
        .prop_map(
            |(kind, (scope, state, zip, province, country), lines, city, verified_on)| Address {
                kind,
                scope,
                lines,
                city,
                state,
                zip,
                province,
                country,
                verified_on,
            },
        )
}

/// Employers.
pub fn employer() -> impl Strategy<Value = Employer> {
    (
        "[A-Z]{3,12} (INC|LLC|CO|CORP)".prop_map(|s| parsed(PersonalText::parse(&s))),
        option::of(fein()),
        option::of(address()),
        option::of(date()),
    )
        .prop_map(|(name, fein, address, started_on)| Employer {
            name,
            fein,
            address,
            started_on,
        })
}

/// Family violence indicators.
pub fn family_violence() -> impl Strategy<Value = FamilyViolenceIndicator> {
    (
        select(FviCode::ALL.to_vec()),
        date(),
        select(FviSource::ALL.to_vec()),
    )
        .prop_map(|(code, set_on, source)| FamilyViolenceIndicator {
            code,
            set_on,
            source,
        })
}

/// Persons with the given id; `fvi_weight` is the probability of an FVI (0.0–1.0).
pub fn person(person_id: PersonId, fvi_weight: f64) -> impl Strategy<Value = Person> {
    (
        person_name(),
        option::of(ssn()),
        option::of(date().prop_map(BirthDate::from_date)),
        option::of(select(Sex::ALL.to_vec())),
        vec(address(), 0..=2),
        vec(
            (select(PhoneKind::ALL.to_vec()), phone())
                .prop_map(|(kind, number)| ContactPhone { kind, number }),
            0..=2,
        ),
        vec(email(), 0..=2),
        vec(employer(), 0..=2),
        option::weighted(fvi_weight, family_violence()),
    )
        .prop_map(
            move |(name, ssn, dob, sex, addresses, phones, emails, employers, fvi)| Person {
                person_id: person_id.clone(),
                name,
                ssn,
                date_of_birth: dob,
                sex,
                addresses,
                phones,
                emails,
                employers,
                family_violence: fvi,
            },
        )
}

fn participant(role: ParticipantRole, fvi_weight: f64) -> impl Strategy<Value = Participant> {
    let placeholder = parsed(PersonId::parse("P"));
    (
        person(placeholder, fvi_weight),
        option::of((date(), option::of(0i64..5000))),
    )
        .prop_map(move |(person, dates)| {
            let (role_start_on, role_end_on) = match dates {
                Some((start, Some(days))) => {
                    (Some(start), start.checked_add(time::Duration::days(days)))
                }
                Some((start, None)) => (Some(start), None),
                None => (None, None),
            };
            Participant {
                role,
                person,
                role_start_on,
                role_end_on,
            }
        })
}

/// Participants of a valid case: 1–2 custodial (CP or caretaker), 1–3 children, 1–2
/// noncustodial (NCP, alleged or putative father), 0–1 other; shuffled; person ids
/// `P0`, `P1`, … unique.
pub fn participants(fvi_weight: f64) -> impl Strategy<Value = Vec<Participant>> {
    use ParticipantRole::*;
    (
        vec(select(vec![CustodialParty, Caretaker]), 1..=2),
        vec(Just(Child), 1..=3),
        vec(
            select(vec![NoncustodialParent, AllegedFather, PutativeFather]),
            1..=2,
        ),
        vec(Just(Other), 0..=1),
    )
        .prop_flat_map(move |(a, b, c, d)| {
            let roles: Vec<_> = a.into_iter().chain(b).chain(c).chain(d).collect();
            roles
                .into_iter()
                .map(|r| participant(r, fvi_weight))
                .collect::<Vec<_>>()
        })
        .prop_shuffle()
        .prop_map(|mut ps| {
            for (i, p) in ps.iter_mut().enumerate() {
                p.person.person_id = parsed(PersonId::parse(&format!("P{i}")));
            }
            ps
        })
}

/// Any jurisdiction.
pub fn jurisdiction() -> impl Strategy<Value = Jurisdiction> {
    prop_oneof![
        fips().prop_map(|fips| Jurisdiction::State { fips }),
        tribe_code().prop_map(|tribe| Jurisdiction::Tribe { tribe }),
        "[A-Z]{2}".prop_map(|c| Jurisdiction::Country {
            country: parsed(CountryCode::parse(&c))
        }),
    ]
}

fn obligation() -> impl Strategy<Value = Obligation> {
    (
        select(ObligationType::ALL.to_vec()),
        small_money(),
        select(Frequency::ALL.to_vec()),
        date(),
        option::of(0i64..8000),
    )
        .prop_map(
            |(obligation_type, amount, frequency, start_on, days)| Obligation {
                obligation_type,
                amount,
                frequency,
                start_on,
                end_on: days.and_then(|d| start_on.checked_add(time::Duration::days(d))),
            },
        )
}

fn arrears() -> impl Strategy<Value = Vec<Arrears>> {
    subsequence(ArrearsType::ALL.to_vec(), 0..=ArrearsType::ALL.len()).prop_flat_map(|types| {
        types
            .into_iter()
            .map(|t| {
                (
                    (-100_000i64..10_000_000).prop_map(Money::from_cents),
                    date(),
                )
                    .prop_map(move |(amount, as_of)| Arrears {
                        arrears_type: t,
                        amount,
                        as_of,
                    })
            })
            .collect::<Vec<_>>()
    })
}

/// Support orders with ids `ORD-0`, `ORD-1`, … (unique).
pub fn orders() -> impl Strategy<Value = Vec<SupportOrder>> {
    vec(
        (
            jurisdiction(),
            option::of(date()),
            vec(obligation(), 0..=3),
            arrears(),
        ),
        0..=2,
    )
    .prop_map(|os| {
        os.into_iter()
            .enumerate()
            .map(
                |(i, (issuing_jurisdiction, ordered_on, obligations, arrears))| SupportOrder {
                    order_id: parsed(OrderId::parse(&format!("ORD-{i}"))),
                    issuing_jurisdiction,
                    ordered_on,
                    obligations,
                    arrears,
                },
            )
            .collect()
    })
}

/// Valid cases; about a fifth of persons carry an FVI and half of the cases a
/// nondisclosure finding.
pub fn case() -> impl Strategy<Value = Case> {
    case_with(0.2)
}

/// Valid cases in which at least one person is protected (an FVI, or a nondisclosure
/// finding that covers the custodial party and children).
pub fn protected_case() -> impl Strategy<Value = Case> {
    case_with(0.3).prop_filter("needs a protected person", Case::has_protected_participant)
}

fn case_with(fvi_weight: f64) -> impl Strategy<Value = Case> {
    let intergov = prop_oneof![
        Just((IntergovernmentalRole::None, None)),
        (
            select(vec![
                IntergovernmentalRole::Initiating,
                IntergovernmentalRole::Responding
            ]),
            jurisdiction()
        )
            .prop_map(|(r, j)| (r, Some(j))),
    ];
    let owner = prop_oneof![
        (
            select(vec![
                CaseType::Tanf,
                CaseType::NonTanf,
                CaseType::MedicaidOnly,
                CaseType::FosterCare
            ]),
            fips()
        )
            .prop_map(|(t, f)| (t, Some(f), None)),
        tribe_code().prop_map(|t| (CaseType::Tribal, None, Some(t))),
    ];
    (
        case_id(),
        owner,
        select(CaseStatus::ALL.to_vec()),
        intergov,
        any::<bool>(),
        participants(fvi_weight),
        orders(),
        vec(
            (
                "[A-Z0-9]{1,8}",
                date(),
                (1i64..10_000_000).prop_map(Money::from_cents),
                select(CollectionType::ALL.to_vec()),
                option::of(0usize..4),
            ),
            0..=3,
        ),
        date(),
    )
        .prop_map(
            |(
                id,
                (case_type, county, tribe),
                status,
                (role, partner),
                nondisclosure,
                participants,
                orders,
                raw_collections,
                opened_on,
            )| {
                let collections = raw_collections
                    .into_iter()
                    .enumerate()
                    .map(
                        |(i, (suffix, collected_on, amount, collection_type, applied))| {
                            Collection {
                                collection_id: parsed(CollectionId::parse(&format!(
                                    "C{i}-{suffix}"
                                ))),
                                collected_on,
                                amount,
                                collection_type,
                                applied_order_id: applied
                                    .filter(|_| !orders.is_empty())
                                    .map(|k| orders[k % orders.len()].order_id.clone()),
                            }
                        },
                    )
                    .collect();
                Case {
                    id,
                    case_type,
                    status,
                    intergovernmental_role: role,
                    partner_jurisdiction: partner,
                    county,
                    tribe,
                    nondisclosure_finding: nondisclosure,
                    participants,
                    orders,
                    collections,
                    opened_on,
                }
            },
        )
}
