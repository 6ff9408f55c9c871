//! Outbound: a CSENet request built from an [`ivd_model::Case`], always redacted (see the
//! parent module).

use super::*;

/// What to send: the header values and the office data a [`Case`] does not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundRequest {
    /// Function.
    pub function: FunctionCode,
    /// Action.
    pub action: ActionCode,
    /// Reason (`""` for blank).
    pub reason: String,
    /// Our FIPS (Local).
    pub local_fips: FipsCode,
    /// The partner's FIPS (Other).
    pub other_fips: FipsCode,
    /// The partner's case id, when known.
    pub other_case_id: Option<String>,
    /// Our next Transaction-Serial-Number (never reused).
    pub serial_number: u64,
    /// Transaction-Date.
    pub transaction_date: Date,
    /// Action-Resolution-Date, for reasons that use it.
    pub action_resolution_date: Option<Date>,
    /// Our office's payment and contact data; case type, status and the nondisclosure
    /// finding are filled in from the case.
    pub office: layout::CaseData,
    /// Information block to send, when the transaction carries one.
    pub information: Option<layout::Information>,
    /// Attachments-Ind = `Y` (then an Information block listing them is required).
    pub attachments: bool,
    /// Also send blocks the combination allows but does not require.
    pub include_optional_blocks: bool,
}

/// Fits model text into an A/N field: non-printable-ASCII characters become `?`, and the
/// text is cut at the field width (CSENet fields are fixed; the partner reads the rest
/// from the documents).
fn fit(s: &str, width: usize) -> CompactString {
    s.chars()
        .map(|c| if (' '..='~').contains(&c) { c } else { '?' })
        .take(width)
        .collect::<CompactString>()
        .trim_end()
        .into()
}

fn case_type_code(t: CaseType) -> &'static str {
    match t {
        CaseType::Tanf => "A",
        CaseType::FosterCare => "F",
        CaseType::MedicaidOnly => "M",
        CaseType::NonTanf | CaseType::Tribal => "T",
    }
}

fn gender_code(s: Option<Sex>) -> &'static str {
    match s {
        Some(Sex::Male) => "M",
        Some(Sex::Female) => "F",
        Some(Sex::Unknown) => "O",
        None => "",
    }
}

fn relationship_code(role: ParticipantRole) -> Option<&'static str> {
    match role {
        ParticipantRole::NoncustodialParent => Some("A"),
        ParticipantRole::CustodialParty => Some("C"),
        ParticipantRole::Child => Some("D"),
        ParticipantRole::AllegedFather | ParticipantRole::PutativeFather => Some("P"),
        ParticipantRole::Caretaker => Some("S"),
        ParticipantRole::Other => None,
    }
}

fn zip_parts(zip: Option<&ZipCode>) -> (CompactString, CompactString) {
    zip.map_or((CompactString::default(), CompactString::default()), |z| {
        (z.zip5().into(), z.plus4().unwrap_or("").into())
    })
}

struct AddressFields {
    line1: CompactString,
    line2: CompactString,
    city: CompactString,
    state: CompactString,
    zip1: CompactString,
    zip2: CompactString,
}

fn address_fields(a: Option<&Address>) -> AddressFields {
    let line = |i: usize| {
        a.and_then(|a| a.lines.get(i))
            .map_or(CompactString::default(), |l| fit(l.expose(), 25))
    };
    let (zip1, zip2) = zip_parts(a.and_then(|a| a.zip.as_ref()));
    AddressFields {
        line1: line(0),
        line2: line(1),
        city: a.map_or(CompactString::default(), |a| fit(a.city.expose(), 18)),
        state: a
            .and_then(|a| a.state.as_ref())
            .map_or(CompactString::default(), |s| s.as_str().into()),
        zip1,
        zip2,
    }
}

fn name_fields(p: &Person) -> (CompactString, CompactString, CompactString, CompactString) {
    let n = p.name.expose();
    (
        fit(n.last, 21),
        fit(n.first, 16),
        fit(n.middle.unwrap_or(""), 16),
        fit(n.suffix.unwrap_or(""), 3),
    )
}

/// Builds the outbound transaction `request` asks for from `case`.
///
/// Always from `case.redacted_for_disclosure()`; protected persons' address, phone and
/// employer fields stay blank; Nondisclosure-Finding is `Y` when anyone is protected.
/// The NCP-ID block describes the first noncustodial participant (NCP, alleged or
/// putative father); when anyone is protected the Case Data block is sent whenever the
/// combination allows it, so the finding travels; every other participant except role `Other` (no CSENet code) gets
/// a Participant block. The result passes [`Transaction::check_rules`], or the errors
/// say why not.
pub fn from_case(
    case: &Case,
    request: &OutboundRequest,
) -> Result<Transaction, Vec<TranslateError>> {
    let case = case.redacted_for_disclosure();
    let anyone_protected = case.nondisclosure_finding || case.has_protected_participant();
    let req = codes::requirements(
        &request.function,
        &request.action,
        &request.reason,
        request.attachments,
    );
    let wanted = |kind: BlockKind| {
        let rule = req.rule(kind);
        rule.min >= 1 || (request.include_optional_blocks && rule.max >= 1)
    };
    let mut errors = Vec::new();

    let mut header = Header::new(
        HeaderKind::Outbound,
        request.function.clone(),
        request.action.clone(),
        &request.reason,
        request.serial_number,
        request.transaction_date,
    );
    header.local_fips = request.local_fips.clone();
    header.other_fips = request.other_fips.clone();
    header.case_id = case.id.as_str().into();
    header.other_case_id = request.other_case_id.as_deref().unwrap_or_default().into();
    header.action_resolution_date = request.action_resolution_date;
    header.attachments = if request.attachments { "Y" } else { "N" }.into();
    let mut t = Transaction::new(header);

    // The finding must travel (§3.3 rule 4): when anyone is protected, Case Data goes
    // whenever the combination allows it, even if optional.
    if wanted(BlockKind::CaseData) || (anyone_protected && req.rule(BlockKind::CaseData).max >= 1) {
        let mut c = request.office.clone();
        c.case_type = case_type_code(case.case_type).into();
        c.case_status = case.status.code().into();
        c.nondisclosure_finding = if anyone_protected { "Y" } else { "N" }.into();
        t.case_data = Some(Box::new(c));
    }

    let ncp = case.participants.iter().find(|p| p.role.is_noncustodial());
    if let Some(ncp) = ncp {
        let person = &ncp.person;
        let protected = case.is_protected(person);
        let (last, first, middle, suffix) = name_fields(person);
        if wanted(BlockKind::NcpIdentification) {
            t.ncp_identification = Some(Box::new(layout::NcpIdentification {
                name_last: last,
                name_first: first,
                name_middle: middle,
                name_suffix: suffix,
                ssn: person
                    .ssn
                    .as_ref()
                    .map_or(CompactString::default(), |s| s.expose().into()),
                date_of_birth: person.date_of_birth.map(|d| d.expose()),
                gender: gender_code(person.sex).into(),
                ..Default::default()
            }));
        }
        if wanted(BlockKind::NcpLocate) {
            let mut l = layout::NcpLocate::default();
            if !protected {
                let find = |k: AddressKind| person.addresses.iter().find(|a| a.kind == k);
                let r = address_fields(find(AddressKind::Residential));
                l.residential_address_line_1 = r.line1;
                l.residential_address_line_2 = r.line2;
                l.residential_city = r.city;
                l.residential_state = r.state;
                l.residential_zip_1 = r.zip1;
                l.residential_zip_2 = r.zip2;
                let m = address_fields(find(AddressKind::Mailing));
                l.mailing_address_line_1 = m.line1;
                l.mailing_address_line_2 = m.line2;
                l.mailing_city = m.city;
                l.mailing_state = m.state;
                l.mailing_zip_1 = m.zip1;
                l.mailing_zip_2 = m.zip2;
                let phone = |k: PhoneKind| {
                    person
                        .phones
                        .iter()
                        .find(|p| p.kind == k)
                        .map_or(CompactString::default(), |p| p.number.expose().into())
                };
                l.home_phone_num = phone(PhoneKind::Home);
                l.work_phone_num = phone(PhoneKind::Work);
                if let Some(e) = person.employers.first() {
                    let a = address_fields(e.address.as_ref());
                    l.employer_name = fit(e.name.expose(), 40);
                    l.employer_ein = e
                        .fein
                        .as_ref()
                        .map_or(CompactString::default(), |f| f.expose().into());
                    l.employer_address_line_1 = a.line1;
                    l.employer_address_line_2 = a.line2;
                    l.employer_city = a.city;
                    l.employer_state = a.state;
                    l.employer_zip_1 = a.zip1;
                    l.employer_zip_2 = a.zip2;
                    l.employer_effective_date = e.started_on;
                }
                if let Some(e) = person.employers.get(1) {
                    let a = address_fields(e.address.as_ref());
                    l.employer2_name = fit(e.name.expose(), 40);
                    l.employer2_ein = e
                        .fein
                        .as_ref()
                        .map_or(CompactString::default(), |f| f.expose().into());
                    l.employer2_address_line_1 = a.line1;
                    l.employer2_address_line_2 = a.line2;
                    l.employer2_city = a.city;
                    l.employer2_state = a.state;
                    l.employer2_zip_1 = a.zip1;
                    l.employer2_zip_2 = a.zip2;
                    l.employer2_effective_date = e.started_on;
                }
                if let Some(e) = person.employers.get(2) {
                    let a = address_fields(e.address.as_ref());
                    l.employer3_name = fit(e.name.expose(), 40);
                    l.employer3_ein = e
                        .fein
                        .as_ref()
                        .map_or(CompactString::default(), |f| f.expose().into());
                    l.employer3_address_line_1 = a.line1;
                    l.employer3_address_line_2 = a.line2;
                    l.employer3_city = a.city;
                    l.employer3_state = a.state;
                    l.employer3_zip_1 = a.zip1;
                    l.employer3_zip_2 = a.zip2;
                    l.employer3_effective_date = e.started_on;
                }
            }
            t.ncp_locate = Some(Box::new(l));
        }
    }

    if wanted(BlockKind::Participant) {
        let others = case
            .participants
            .iter()
            .filter(|p| !std::ptr::eq(*p, ncp.map_or(std::ptr::null(), |n| n as *const _)));
        for p in others {
            let Some(relationship) = relationship_code(p.role) else {
                continue;
            };
            let person = &p.person;
            let protected = case.is_protected(person);
            let (last, first, middle, suffix) = name_fields(person);
            let mut b = layout::Participant {
                name_last: last,
                name_first: first,
                name_middle: middle,
                name_suffix: suffix,
                date_of_birth: person.date_of_birth.map(|d| d.expose()),
                ssn: person
                    .ssn
                    .as_ref()
                    .map_or(CompactString::default(), |s| s.expose().into()),
                gender: gender_code(person.sex).into(),
                relationship: relationship.into(),
                participant_status: if p.role_end_on.is_some() { "C" } else { "O" }.into(),
                dependent_relation_cp: if relationship == "D" { "C" } else { "" }.into(),
                ..Default::default()
            };
            if !protected {
                let a = address_fields(person.addresses.first());
                b.address_line_1 = a.line1;
                b.address_line_2 = a.line2;
                b.city = a.city;
                b.state = a.state;
                b.zip_1 = a.zip1;
                b.zip_2 = a.zip2;
                if let Some(e) = person.employers.first() {
                    let a = address_fields(e.address.as_ref());
                    b.employer_name = fit(e.name.expose(), 40);
                    b.emp_ein = e
                        .fein
                        .as_ref()
                        .map_or(CompactString::default(), |f| f.expose().into());
                    b.employer_street_line_1 = a.line1;
                    b.employer_street_line_2 = a.line2;
                    b.employer_city = a.city;
                    b.employer_state = a.state;
                    b.employer_zip_1 = a.zip1;
                    b.employer_zip_2 = a.zip2;
                }
                b.work_phone = person
                    .phones
                    .iter()
                    .find(|p| p.kind == PhoneKind::Work)
                    .map_or(CompactString::default(), |p| p.number.expose().into());
            }
            t.participants.push(b);
        }
        if t.participants.len() > 9 {
            errors.push(TranslateError::new(
                "participants",
                TOO_MANY,
                "a transaction holds at most 9 participants",
            ));
        }
    }

    if wanted(BlockKind::Order) {
        for o in &case.orders {
            let (state, county, sub) = match &o.issuing_jurisdiction {
                Jurisdiction::State { fips } => (
                    fips.state().as_str().into(),
                    fips.county().into(),
                    fips.local().into(),
                ),
                _ => Default::default(),
            };
            let first = o.obligations.first();
            // The bucket amounts are unsigned: a credit (negative balance) is carried only
            // by the signed Order-Arrears-Total-Amount.
            let arrears = |k: ArrearsType| {
                o.arrears
                    .iter()
                    .find(|a| a.arrears_type == k)
                    .map(|a| a.amount.cents())
                    .filter(|c| *c >= 0)
            };
            t.orders.push(layout::Order {
                order_fips_state: state,
                order_fips_county: county,
                order_fips_sub: sub,
                order_id: fit(o.order_id.as_str(), 17),
                order_filing_date: o.ordered_on,
                order_type: "J".into(),
                debt_type: match first.map(|ob| ob.obligation_type) {
                    Some(ObligationType::SpousalSupport) => "SS",
                    Some(ObligationType::MedicalSupport) => "MS",
                    _ => "CS",
                }
                .into(),
                order_freq: match first.map(|ob| ob.frequency) {
                    Some(Frequency::Weekly) => "W",
                    Some(Frequency::Biweekly) => "B",
                    Some(Frequency::Semimonthly) => "S",
                    Some(Frequency::Monthly) => "M",
                    _ => "",
                }
                .into(),
                order_freq_amount: first.map(|ob| ob.amount.cents()),
                order_effective_date: first.map(|ob| ob.start_on),
                order_end_date: first.and_then(|ob| ob.end_on),
                order_arrears_total_amount: o
                    .total_arrears()
                    .map(Money::cents)
                    .filter(|_| !o.arrears.is_empty()),
                arrears_tanf_amount: arrears(ArrearsType::Tanf),
                arrears_non_tanf_amount: arrears(ArrearsType::NonTanf),
                ..Default::default()
            });
        }
        if t.orders.len() > 9 {
            errors.push(TranslateError::new(
                "orders",
                TOO_MANY,
                "a transaction holds at most 9 orders",
            ));
        }
    }

    if wanted(BlockKind::Collection) {
        for c in &case.collections {
            let (source, method) = match c.collection_type {
                CollectionType::IncomeWithholding => ("A", "E"),
                CollectionType::FederalTaxOffset => ("I", "O"),
                CollectionType::StateTaxOffset => ("S", "E"),
                CollectionType::UnemploymentIntercept => ("U", "E"),
                CollectionType::FinancialInstitutionLevy => ("G", "E"),
                _ => ("N", "E"),
            };
            t.collections.push(layout::Collection {
                date_of_collection: Some(c.collected_on),
                date_of_posting: Some(c.collected_on),
                payment_amount: Some(c.amount.cents()),
                payment_source: source.into(),
                interstate_payment_method: method.into(),
                ..Default::default()
            });
        }
        if t.collections.len() > 9 {
            errors.push(TranslateError::new(
                "collections",
                TOO_MANY,
                "a transaction holds at most 9 collections",
            ));
        }
    }

    if wanted(BlockKind::Information) {
        t.information = request.information.clone().map(Box::new);
    }

    // A trial write checks the rules and that every value fits its field, so what this
    // returns is always writable.
    if errors.is_empty()
        && let Err(e) = t.write(HeaderKind::Outbound)
    {
        errors.extend(e.into_iter().map(TranslateError::from));
    }
    if errors.is_empty() {
        Ok(t)
    } else {
        Err(errors)
    }
}
