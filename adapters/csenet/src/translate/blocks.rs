//! Inbound, block by block: each CSENet data block to its model values, every problem
//! a [`TranslateError`] naming the block-qualified field (see the parent module).

use super::*;

fn name(
    field: &dyn fmt::Display,
    first: &str,
    middle: &str,
    last: &str,
    suffix: &str,
    errors: &mut Vec<TranslateError>,
) -> Option<PersonName> {
    PersonName::new(
        trim(first),
        Some(trim(middle)),
        trim(last),
        Some(trim(suffix)),
    )
    .map_err(|e| errors.push(TranslateError::id(format!("{field}.Name-Last"), e)))
    .ok()
}

fn ssn(field: &dyn fmt::Display, digits: &str, errors: &mut Vec<TranslateError>) -> Option<Ssn> {
    // An all-zero SSN is the usual "unknown" filler, not an SSN.
    if digits.is_empty() || digits.bytes().all(|b| b == b'0') {
        return None;
    }
    Ssn::parse(digits)
        .map_err(|e| errors.push(TranslateError::id(field.to_string(), e)))
        .ok()
}

fn phone(
    field: &dyn fmt::Display,
    digits: &str,
    kind: PhoneKind,
    errors: &mut Vec<TranslateError>,
) -> Option<ContactPhone> {
    if digits.is_empty() || digits.bytes().all(|b| b == b'0') {
        return None;
    }
    Phone::parse(digits)
        .map(|number| ContactPhone { kind, number })
        .map_err(|e| errors.push(TranslateError::id(field.to_string(), e)))
        .ok()
}

/// The pieces of one CSENet address.
struct RawAddress<'a> {
    line1: &'a str,
    line2: &'a str,
    city: &'a str,
    state: &'a str,
    zip1: &'a str,
    zip2: &'a str,
}

/// An address, when line 1 and the city are present (a partial address without them is
/// not translated; the stored transaction keeps it).
fn address(
    field: &dyn fmt::Display,
    raw: RawAddress<'_>,
    kind: AddressKind,
    verified_on: Option<Date>,
    errors: &mut Vec<TranslateError>,
) -> Option<Address> {
    let (line1, city) = (non_blank(raw.line1)?, non_blank(raw.city)?);
    let line2 = non_blank(raw.line2);
    // Sized once: growing from empty went through `grow_one` for the first line.
    let mut lines = Vec::with_capacity(1 + usize::from(line2.is_some()));
    for line in [Some(line1), line2].into_iter().flatten() {
        match PersonalText::parse(line) {
            Ok(l) => lines.push(l),
            Err(e) => errors.push(TranslateError::id(format!("{field}.Address-Line"), e)),
        }
    }
    let city = PersonalText::parse(city)
        .map_err(|e| errors.push(TranslateError::id(format!("{field}.City"), e)))
        .ok()?;
    let state = non_blank(raw.state).and_then(|s| {
        StateCode::parse(s)
            .map_err(|e| errors.push(TranslateError::id(format!("{field}.State"), e)))
            .ok()
    });
    let zip = non_blank(raw.zip1).and_then(|z| {
        // Joined only when there is a +4 to join.
        let plus4 = trim(raw.zip2);
        let zip = if plus4.is_empty() {
            ZipCode::parse(z)
        } else {
            ZipCode::parse(&joined(&[z, plus4]))
        };
        zip.map_err(|e| errors.push(TranslateError::id(format!("{field}.Zip"), e)))
            .ok()
    });
    Some(Address {
        kind,
        scope: AddressScope::Domestic,
        lines,
        city,
        state,
        zip,
        province: None,
        country: None,
        verified_on,
    })
}

#[allow(clippy::too_many_arguments)]
fn employer(
    field: &dyn fmt::Display,
    name: &str,
    ein: &str,
    addr: RawAddress<'_>,
    started_on: Option<Date>,
    errors: &mut Vec<TranslateError>,
) -> Option<Employer> {
    let name = PersonalText::parse(non_blank(name)?)
        .map_err(|e| errors.push(TranslateError::id(format!("{field}.Name"), e)))
        .ok()?;
    let fein = non_blank(ein).and_then(|ein| {
        Fein::parse(ein)
            .map_err(|e| errors.push(TranslateError::id(format!("{field}.EIN"), e)))
            .ok()
    });
    Some(Employer {
        name,
        fein,
        address: address(field, addr, AddressKind::Mailing, None, errors),
        started_on,
    })
}

pub(super) fn ncp_person(
    id: &layout::NcpIdentification,
    locate: Option<&layout::NcpLocate>,
    errors: &mut Vec<TranslateError>,
) -> Option<Person> {
    let name = name(
        &"NCP_ID",
        &id.name_first,
        &id.name_middle,
        &id.name_last,
        &id.name_suffix,
        errors,
    )?;
    let mut person = Person {
        person_id: person_id(0)?,
        name,
        ssn: ssn(&"NCP_ID.SSN", &id.ssn, errors),
        date_of_birth: id.date_of_birth.map(BirthDate::from_date),
        sex: sex_from_code(&id.gender),
        addresses: Vec::new(),
        phones: Vec::new(),
        emails: Vec::new(),
        employers: Vec::new(),
        family_violence: None,
    };
    if let Some(l) = locate {
        let confirmed = |ind: &str, d: Option<Date>| if ind == "Y" { d } else { None };
        person.addresses.extend(address(
            &"NCP_LOCATE.Residential",
            RawAddress {
                line1: &l.residential_address_line_1,
                line2: &l.residential_address_line_2,
                city: &l.residential_city,
                state: &l.residential_state,
                zip1: &l.residential_zip_1,
                zip2: &l.residential_zip_2,
            },
            AddressKind::Residential,
            confirmed(
                &l.residential_address_confirmed_ind,
                l.residential_address_effective_date,
            ),
            errors,
        ));
        person.addresses.extend(address(
            &"NCP_LOCATE.Mailing",
            RawAddress {
                line1: &l.mailing_address_line_1,
                line2: &l.mailing_address_line_2,
                city: &l.mailing_city,
                state: &l.mailing_state,
                zip1: &l.mailing_zip_1,
                zip2: &l.mailing_zip_2,
            },
            AddressKind::Mailing,
            confirmed(
                &l.mailing_address_confirmed_ind,
                l.mailing_address_effective_date,
            ),
            errors,
        ));
        person.phones.extend(phone(
            &"NCP_LOCATE.Home-Phone-Num",
            &l.home_phone_num,
            PhoneKind::Home,
            errors,
        ));
        person.phones.extend(phone(
            &"NCP_LOCATE.Work-Phone-Num",
            &l.work_phone_num,
            PhoneKind::Work,
            errors,
        ));
        let employers = [
            (
                "NCP_LOCATE.Employer",
                &l.employer_name,
                &l.employer_ein,
                RawAddress {
                    line1: &l.employer_address_line_1,
                    line2: &l.employer_address_line_2,
                    city: &l.employer_city,
                    state: &l.employer_state,
                    zip1: &l.employer_zip_1,
                    zip2: &l.employer_zip_2,
                },
                l.employer_effective_date,
            ),
            (
                "NCP_LOCATE.Employer2",
                &l.employer2_name,
                &l.employer2_ein,
                RawAddress {
                    line1: &l.employer2_address_line_1,
                    line2: &l.employer2_address_line_2,
                    city: &l.employer2_city,
                    state: &l.employer2_state,
                    zip1: &l.employer2_zip_1,
                    zip2: &l.employer2_zip_2,
                },
                l.employer2_effective_date,
            ),
            (
                "NCP_LOCATE.Employer3",
                &l.employer3_name,
                &l.employer3_ein,
                RawAddress {
                    line1: &l.employer3_address_line_1,
                    line2: &l.employer3_address_line_2,
                    city: &l.employer3_city,
                    state: &l.employer3_state,
                    zip1: &l.employer3_zip_1,
                    zip2: &l.employer3_zip_2,
                },
                l.employer3_effective_date,
            ),
        ];
        for (field, name, ein, addr, started) in employers {
            person
                .employers
                .extend(employer(&field, name, ein, addr, started, errors));
        }
    }
    Some(person)
}

fn role_from_relationship(code: &str) -> ParticipantRole {
    match code {
        "A" => ParticipantRole::NoncustodialParent,
        "C" => ParticipantRole::CustodialParty,
        "D" => ParticipantRole::Child,
        "P" => ParticipantRole::PutativeFather,
        "S" => ParticipantRole::Caretaker,
        _ => ParticipantRole::Other,
    }
}

pub(super) fn participant(
    n: usize,
    p: &layout::Participant,
    errors: &mut Vec<TranslateError>,
) -> Option<InterstateParticipant> {
    // Labels are formatted only when an error needs one.
    let field = Indexed("PARTICIPANT", n);
    let name = name(
        &field,
        &p.name_first,
        &p.name_middle,
        &p.name_last,
        &p.name_suffix,
        errors,
    )?;
    let verified = if p.address_confirmed == "Y" {
        p.date_address_confirmed
    } else {
        None
    };
    let person = Person {
        person_id: person_id(n)?,
        name,
        ssn: ssn(&Dotted(&field, "SSN"), &p.ssn, errors),
        date_of_birth: p.date_of_birth.map(BirthDate::from_date),
        sex: sex_from_code(&p.gender),
        addresses: address(
            &field,
            RawAddress {
                line1: &p.address_line_1,
                line2: &p.address_line_2,
                city: &p.city,
                state: &p.state,
                zip1: &p.zip_1,
                zip2: &p.zip_2,
            },
            AddressKind::Residential,
            verified,
            errors,
        )
        .into_iter()
        .collect(),
        phones: phone(
            &Dotted(&field, "Work-Phone"),
            &p.work_phone,
            PhoneKind::Work,
            errors,
        )
        .into_iter()
        .collect(),
        emails: Vec::new(),
        employers: employer(
            &Dotted(&field, "Employer"),
            &p.employer_name,
            &p.emp_ein,
            RawAddress {
                line1: &p.employer_street_line_1,
                line2: &p.employer_street_line_2,
                city: &p.employer_city,
                state: &p.employer_state,
                zip1: &p.employer_zip_1,
                zip2: &p.employer_zip_2,
            },
            None,
            errors,
        )
        .into_iter()
        .collect(),
        family_violence: None,
    };
    Some(InterstateParticipant {
        participant: Participant {
            role: role_from_relationship(&p.relationship),
            person,
            role_start_on: None,
            role_end_on: None,
        },
        relationship_code: p.relationship.clone(),
        status_code: p.participant_status.clone(),
    })
}

fn frequency_from_code(code: &str) -> Option<Frequency> {
    match code {
        "W" => Some(Frequency::Weekly),
        "B" => Some(Frequency::Biweekly),
        "S" => Some(Frequency::Semimonthly),
        "M" => Some(Frequency::Monthly),
        _ => None,
    }
}

pub(super) fn order(
    n: usize,
    o: &layout::Order,
    h: &Header,
    errors: &mut Vec<TranslateError>,
) -> Option<SupportOrder> {
    let field = Indexed("ORDER", n);
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    let trimmed = trim(&o.order_id);
    // Borrowed unless a character has to be replaced (the usual id needs none).
    let id: Cow<'_, str> = if trimmed.is_empty() {
        Cow::Owned(format!("CSENET-ORDER-{n}"))
    } else if trimmed.chars().all(allowed) {
        Cow::Borrowed(trimmed)
    } else {
        Cow::Owned(
            trimmed
                .chars()
                .map(|c| if allowed(c) { c } else { '-' })
                .collect(),
        )
    };
    let order_id = OrderId::parse(&id)
        .map_err(|e| errors.push(TranslateError::id(format!("{field}.Order-ID"), e)))
        .ok()?;
    // A blank Order-FIPS (allowed on CSI responses) is read as the partner's state.
    let fips = if trim(&o.order_fips_state).is_empty() {
        joined(&[&h.other_fips.state, "00000"])
    } else {
        // The sub-location is zero-filled on the left to its 2 digits.
        let sub = trim(&o.order_fips_sub);
        let fill = "00".get(sub.chars().count().min(2)..).unwrap_or_default();
        joined(&[&o.order_fips_state, &o.order_fips_county, fill, sub])
    };
    let issuing_jurisdiction = match Fips::parse(&fips) {
        Ok(fips) => Jurisdiction::State { fips },
        Err(e) => {
            errors.push(TranslateError::id(format!("{field}.Order-FIPS-State"), e));
            return None;
        }
    };
    let mut obligations = Vec::new();
    if let Some(amount) = o.order_freq_amount {
        let obligation_type = match o.debt_type.as_str() {
            "SS" => ObligationType::SpousalSupport,
            "MS" => ObligationType::MedicalSupport,
            _ => ObligationType::ChildSupport,
        };
        match (frequency_from_code(&o.order_freq), o.order_effective_date) {
            (Some(frequency), Some(start_on)) => obligations.push(Obligation {
                obligation_type,
                amount: Money::from_cents(amount),
                frequency,
                start_on,
                end_on: o.order_end_date,
            }),
            (None, _) => errors.push(TranslateError::new(
                format!("{field}.Order-Freq"),
                UNSUPPORTED_CODE,
                "frequency has no equivalent in the case model (W, B, S, M only)",
            )),
            (_, None) => errors.push(TranslateError::new(
                format!("{field}.Order-Effective-Date"),
                MISSING_VALUE,
                "an obligation needs its effective date",
            )),
        }
    }
    let mut arrears = Vec::new();
    let tanf = o.arrears_tanf_amount.unwrap_or(0) + o.foster_care_amount.unwrap_or(0);
    let non_tanf = o.arrears_non_tanf_amount.unwrap_or(0) + o.medical_amount.unwrap_or(0);
    if o.arrears_tanf_amount.is_some() || o.foster_care_amount.is_some() {
        arrears.push(Arrears {
            arrears_type: ArrearsType::Tanf,
            amount: Money::from_cents(tanf),
            as_of: h.transaction_date,
        });
    }
    if o.arrears_non_tanf_amount.is_some() || o.medical_amount.is_some() {
        arrears.push(Arrears {
            arrears_type: ArrearsType::NonTanf,
            amount: Money::from_cents(non_tanf),
            as_of: h.transaction_date,
        });
    }
    Some(SupportOrder {
        order_id,
        issuing_jurisdiction,
        ordered_on: o.order_filing_date,
        obligations,
        arrears,
    })
}

pub(super) fn collection(
    n: usize,
    c: &layout::Collection,
    serial: u64,
    errors: &mut Vec<TranslateError>,
) -> Option<ivd_model::Collection> {
    let field = Indexed("COLLECTION", n);
    let Some(collected_on) = c.date_of_collection else {
        errors.push(TranslateError::new(
            format!("{field}.Date-Of-Collection"),
            MISSING_VALUE,
            "a collection needs its date",
        ));
        return None;
    };
    let collection_type = match c.payment_source.as_str() {
        "A" => CollectionType::IncomeWithholding,
        "I" => CollectionType::FederalTaxOffset,
        "S" => CollectionType::StateTaxOffset,
        "U" => CollectionType::UnemploymentIntercept,
        "N" => CollectionType::Payment,
        _ => CollectionType::Other,
    };
    Some(ivd_model::Collection {
        collection_id: {
            let (serial, n) = (serial.to_compact_string(), n.to_compact_string());
            CollectionId::parse(&joined(&["CSENET-", &serial, "-", &n])).ok()?
        },
        collected_on,
        amount: Money::from_cents(c.payment_amount.unwrap_or(0)),
        collection_type,
        applied_order_id: None,
    })
}
