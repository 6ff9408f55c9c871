//! Each record type read into its value and written from it, through its one layout.
//!
//! Readers take one ASCII record (decode EBCDIC first) and append every error to a
//! vector; they return the value only when the record is entirely valid. Writers fill a
//! reused record buffer; the public writers then read the record back with the same
//! reader, so nothing is written that would be rejected on the way in.

use ivd_fixed::{FieldError, Layout, RecordWriter};
use ivd_model::BirthDate;

use crate::codes;
use crate::layouts::{A_RECORD, ACCOUNT_RECORD, INQUIRY_D_RECORD, INQUIRY_I_RECORD, MATCH_RECORD};
use crate::rules::{self, Reading, problem};
use crate::types::{
    AccountStatus, AccountType, BalanceIndicator, FileIndicator, Institution, MatchFlag,
    PayeeIndicator, PostalAddress, TrustFund, UpdateIndicator,
};
use crate::{Account, Inquiry, Match};

const ACCOUNT_TYPES: &str = "00 01 04 05 06 11 12 14 16 17 18";

fn transfer_agent(s: &str) -> Result<bool, rules::Problem> {
    match s {
        "" | "0" => Ok(false),
        "1" => Ok(true),
        _ => Err(problem(codes::INDICATOR, "indicator must be 0, 1 or blank")),
    }
}

/// Reads the four address fields `<prefix>_street/_city/_state/_zip`. A foreign address
/// (`foreign`) is not held to USPS state and ZIP rules.
fn read_address(
    r: &mut Reading<'_, '_>,
    prefix: &str,
    required: bool,
    foreign: bool,
) -> PostalAddress {
    let name = |part: &str| format!("{prefix}_{part}");
    if !foreign {
        r.check(&name("state"), |s| rules::state(s, required));
        r.check(&name("zip"), rules::zip);
    }
    PostalAddress {
        street: r.text(&name("street")).unwrap_or_default().to_owned(),
        city: r.text(&name("city")).unwrap_or_default().to_owned(),
        state: r.text(&name("state")).unwrap_or_default().to_owned(),
        zip: r.text(&name("zip")).unwrap_or_default().to_owned(),
    }
}

fn put_address(
    w: &mut RecordWriter<'_>,
    prefix: &str,
    a: &PostalAddress,
) -> Result<(), FieldError> {
    w.text(format!("{prefix}_street").as_str(), &a.street)?
        .text(format!("{prefix}_city").as_str(), &a.city)?
        .text(format!("{prefix}_state").as_str(), &a.state)?
        .text(format!("{prefix}_zip").as_str(), &a.zip)?;
    Ok(())
}

fn code_or_blank<T>(v: Option<T>, code: fn(T) -> &'static str) -> &'static str {
    v.map_or("", code)
}

/// The A record.
pub(crate) fn read_institution(rec: &[u8], errors: &mut Vec<FieldError>) -> Option<Institution> {
    let mut r = Reading::new(&A_RECORD, rec, errors)?;
    let tin = r.check("institution_tin", rules::tin);
    let year_month = r.check("year_month", rules::year_month);
    let test = r.check("test_indicator", |s| rules::flag(s, "T"));
    let service_bureau = r.check("service_bureau_indicator", |s| rules::flag(s, "1"));
    let foreign = r.check("foreign_corporation_indicator", |s| rules::flag(s, "1"));
    let transfer_agent = r.check("transfer_agent_indicator", transfer_agent);
    let address = read_address(&mut r, "institution", true, foreign.unwrap_or(false));
    let transmitter_tin = r.check("transmitter_tin", rules::optional_tin);
    let transmitter_address = read_address(&mut r, "transmitter", false, false);
    let file_indicator = r
        .check("file_indicator", |s| {
            rules::code(
                s,
                FileIndicator::from_code,
                codes::FILE_INDICATOR,
                "M, A or U",
            )
        })
        .flatten();
    if !r.clean() {
        return None;
    }
    let t = |n: &str| r.text(n).unwrap_or_default().to_owned();
    Some(Institution {
        tin: tin?,
        name_control: t("institution_name_control"),
        name: t("institution_name"),
        second_name: t("second_institution_name"),
        address,
        transmitter_tin: transmitter_tin?,
        transmitter_name: t("transmitter_name"),
        transmitter_address,
        year_month: year_month?,
        file_indicator: file_indicator?,
        media_sequence: r.number("media_sequence").map(|n| n as u16),
        test: test?,
        service_bureau: service_bureau?,
        foreign: foreign?,
        transfer_agent: transfer_agent?,
    })
}

pub(crate) fn write_institution(i: &Institution, buf: Vec<u8>) -> Result<Vec<u8>, FieldError> {
    let mut w = RecordWriter::with_buffer(&A_RECORD, buf);
    if let Some(n) = i.media_sequence {
        w.number("media_sequence", u64::from(n))?;
    }
    w.text("institution_tin", i.tin.expose())?
        .text("institution_name_control", &i.name_control)?
        .text("year_month", &rules::format_year_month(i.year_month))?
        .text("test_indicator", if i.test { "T" } else { "" })?
        .text(
            "service_bureau_indicator",
            if i.service_bureau { "1" } else { "" },
        )?
        .text(
            "foreign_corporation_indicator",
            if i.foreign { "1" } else { "" },
        )?
        .text("institution_name", &i.name)?
        .text("second_institution_name", &i.second_name)?
        .text(
            "transfer_agent_indicator",
            if i.transfer_agent { "1" } else { "0" },
        )?
        .text(
            "transmitter_tin",
            i.transmitter_tin.as_ref().map_or("", |t| t.expose()),
        )?
        .text("transmitter_name", &i.transmitter_name)?
        .text("file_indicator", i.file_indicator.code())?;
    put_address(&mut w, "institution", &i.address)?;
    put_address(&mut w, "transmitter", &i.transmitter_address)?;
    Ok(w.finish())
}

/// Checks a detail record's `CCYYMM` against the header's.
fn same_month(r: &mut Reading<'_, '_>, ym: Option<(u16, u8)>, header: Option<(u16, u8)>) {
    if let (Some(ym), Some(h)) = (ym, header)
        && ym != h
    {
        r.fail(
            "year_month",
            problem(
                codes::YEAR_MONTH_MISMATCH,
                "CCYYMM differs from the header record's",
            ),
        );
    }
}

/// The Method 1 B record.
pub(crate) fn read_account(
    number: u64,
    rec: &[u8],
    header: Option<&Institution>,
    errors: &mut Vec<FieldError>,
) -> Option<Account> {
    let mut r = Reading::new(&ACCOUNT_RECORD, rec, errors)?;
    let ym = r.check("year_month", rules::year_month);
    same_month(&mut r, ym, header.map(|h| h.year_month));
    r.check("last_name_control", |s| rules::name_control(s, true));
    let ssn = r.check("ssn", rules::ssn);
    let foreign = r.check("foreign_country_indicator", |s| rules::flag(s, "1"));
    let address = read_address(&mut r, "payee", false, foreign.unwrap_or(false));
    let balance = r.amount("account_balance");
    let trust_fund = r
        .check("trust_fund_indicator", |s| {
            rules::code(s, TrustFund::from_code, codes::TRUST_FUND, "0-6")
        })
        .flatten();
    let balance_indicator = r
        .check("balance_indicator", |s| {
            rules::code(
                s,
                BalanceIndicator::from_code,
                codes::BALANCE_INDICATOR,
                "0, 1, 2",
            )
        })
        .flatten();
    if balance_indicator == Some(BalanceIndicator::NotProvided) && balance.is_some_and(|b| b != 0) {
        r.fail(
            "account_balance",
            problem(
                codes::BALANCE_NOT_ZERO,
                "balance must be zeros when the balance indicator is 0 (not provided)",
            ),
        );
    }
    let update = r.check("update_indicator", |s| {
        rules::code(
            s,
            UpdateIndicator::from_code,
            codes::UPDATE_INDICATOR,
            "0, 1, 2",
        )
    });
    match (header.map(|h| h.file_indicator), update) {
        (Some(FileIndicator::Update), Some(None)) => r.fail(
            "update_indicator",
            problem(
                codes::UPDATE_INDICATOR,
                "an account update file needs an update indicator (0, 1, 2)",
            ),
        ),
        (Some(FileIndicator::AllAccounts), Some(Some(_))) => r.fail(
            "update_indicator",
            problem(
                codes::UPDATE_INDICATOR,
                "the update indicator belongs in update files only",
            ),
        ),
        _ => {}
    }
    let birth = r.date("birth_date");
    let account_type = r.check("account_type", |s| {
        rules::code(
            s,
            AccountType::from_code,
            codes::ACCOUNT_TYPE,
            ACCOUNT_TYPES,
        )
    });
    if !r.clean() {
        return None;
    }
    let t = |n: &str| r.text(n).unwrap_or_default().to_owned();
    Some(Account {
        record: number,
        ssn: ssn?,
        last_name_control: t("last_name_control"),
        account_number: t("account_number"),
        title: t("account_title"),
        foreign: foreign?,
        payee_name: t("payee_name"),
        second_payee_name: t("second_payee_name"),
        address,
        balance_dollars: balance?,
        balance_indicator: balance_indicator?,
        trust_fund: trust_fund?,
        account_type: account_type?,
        update: update?,
        birth_date: birth.ok()?.map(BirthDate::from_date),
    })
}

pub(crate) fn write_account(
    ym: (u16, u8),
    a: &Account,
    buf: Vec<u8>,
) -> Result<Vec<u8>, FieldError> {
    let mut w = RecordWriter::with_buffer(&ACCOUNT_RECORD, buf);
    w.text("year_month", &rules::format_year_month(ym))?
        .text("last_name_control", &a.last_name_control)?
        .text("ssn", a.ssn.expose())?
        .text("account_number", &a.account_number)?
        .text("account_title", &a.title)?
        .text(
            "foreign_country_indicator",
            if a.foreign { "1" } else { "" },
        )?
        .text("payee_name", &a.payee_name)?
        .text("second_payee_name", &a.second_payee_name)?
        .amount("account_balance", a.balance_dollars)?
        .text("trust_fund_indicator", a.trust_fund.code())?
        .text("balance_indicator", a.balance_indicator.code())?
        .text(
            "update_indicator",
            code_or_blank(a.update, UpdateIndicator::code),
        )?
        .date("birth_date", a.birth_date.map(|d| d.expose()))?
        .text(
            "account_type",
            code_or_blank(a.account_type, AccountType::code),
        )?;
    put_address(&mut w, "payee", &a.address)?;
    Ok(w.finish())
}

/// The Method 2 B record.
pub(crate) fn read_match(
    number: u64,
    rec: &[u8],
    header: Option<&Institution>,
    errors: &mut Vec<FieldError>,
) -> Option<Match> {
    let mut r = Reading::new(&MATCH_RECORD, rec, errors)?;
    let ym = r.check("year_month", rules::year_month);
    same_month(&mut r, ym, header.map(|h| h.year_month));
    r.check("last_name_control", |s| rules::name_control(s, false));
    let ssn = r.check("ssn", rules::ssn);
    let foreign = r.check("foreign_country_indicator", |s| rules::flag(s, "1"));
    let address = read_address(&mut r, "payee", false, foreign.unwrap_or(false));
    let balance = r.amount("account_balance");
    if balance.is_some_and(|b| b < 0) {
        r.fail(
            "account_balance",
            problem(
                codes::BALANCE_NEGATIVE,
                "a match file reports a balance at or below $0 as zeros",
            ),
        );
    }
    let match_flag = r.check("match_flag", |s| {
        rules::code(s, MatchFlag::from_code, codes::MATCH_FLAG, "0, 1, 2")
    });
    let trust_fund = r.check("trust_fund_indicator", |s| {
        rules::code(s, TrustFund::from_code, codes::TRUST_FUND, "0-6")
    });
    let payee_indicator = r.check("payee_indicator", |s| {
        rules::code(
            s,
            PayeeIndicator::from_code,
            codes::PAYEE_INDICATOR,
            "0, 1, 2",
        )
    });
    let balance_indicator = r.check("balance_indicator", |s| {
        rules::code(
            s,
            BalanceIndicator::from_code,
            codes::BALANCE_INDICATOR,
            "0, 1, 2",
        )
    });
    if balance_indicator == Some(Some(BalanceIndicator::NotProvided))
        && balance.is_some_and(|b| b != 0)
    {
        r.fail(
            "account_balance",
            problem(
                codes::BALANCE_NOT_ZERO,
                "balance must be zeros when the balance indicator is 0 (not provided)",
            ),
        );
    }
    let account_status = r.check("account_status", |s| {
        rules::code(
            s,
            AccountStatus::from_code,
            codes::ACCOUNT_STATUS,
            "0, 1, 2 or blank",
        )
    });
    let birth = r.date("birth_date");
    let account_type = r.check("account_type", |s| {
        rules::code(
            s,
            AccountType::from_code,
            codes::ACCOUNT_TYPE,
            ACCOUNT_TYPES,
        )
    });
    let primary_ssn = r.check("primary_ssn", rules::optional_ssn);
    let second_payee_ssn = r.check("second_payee_ssn", rules::optional_ssn);
    if !r.clean() {
        return None;
    }
    let t = |n: &str| r.text(n).unwrap_or_default().to_owned();
    Some(Match {
        record: number,
        ssn: ssn?,
        last_name_control: t("last_name_control"),
        matched_name: t("matched_name"),
        second_payee_name: t("second_payee_name"),
        account_number: t("account_number"),
        title: t("account_title"),
        foreign: foreign?,
        address,
        fips_passback: t("fips_passback"),
        passback: t("state_passback"),
        balance_dollars: balance?,
        match_flag: match_flag?,
        trust_fund: trust_fund?,
        payee_indicator: payee_indicator?,
        balance_indicator: balance_indicator?,
        account_status: account_status?,
        birth_date: birth.ok()?.map(BirthDate::from_date),
        account_type: account_type?,
        primary_ssn: primary_ssn?,
        second_payee_ssn: second_payee_ssn?,
    })
}

pub(crate) fn write_match(ym: (u16, u8), m: &Match, buf: Vec<u8>) -> Result<Vec<u8>, FieldError> {
    let mut w = RecordWriter::with_buffer(&MATCH_RECORD, buf);
    w.text("year_month", &rules::format_year_month(ym))?
        .text("last_name_control", &m.last_name_control)?
        .text("ssn", m.ssn.expose())?
        .text("account_number", &m.account_number)?
        .text("account_title", &m.title)?
        .text(
            "foreign_country_indicator",
            if m.foreign { "1" } else { "" },
        )?
        .text("matched_name", &m.matched_name)?
        .text("second_payee_name", &m.second_payee_name)?
        .text("fips_passback", &m.fips_passback)?
        .text("state_passback", &m.passback)?
        .amount("account_balance", m.balance_dollars)?
        .text("match_flag", code_or_blank(m.match_flag, MatchFlag::code))?
        .text(
            "trust_fund_indicator",
            code_or_blank(m.trust_fund, TrustFund::code),
        )?
        .text(
            "payee_indicator",
            code_or_blank(m.payee_indicator, PayeeIndicator::code),
        )?
        .text(
            "balance_indicator",
            code_or_blank(m.balance_indicator, BalanceIndicator::code),
        )?
        .text(
            "account_status",
            code_or_blank(m.account_status, AccountStatus::code),
        )?
        .date("birth_date", m.birth_date.map(|d| d.expose()))?
        .text(
            "account_type",
            code_or_blank(m.account_type, AccountType::code),
        )?
        .text(
            "primary_ssn",
            m.primary_ssn.as_ref().map_or("", |s| s.expose()),
        )?
        .text(
            "second_payee_ssn",
            m.second_payee_ssn.as_ref().map_or("", |s| s.expose()),
        )?;
    put_address(&mut w, "payee", &m.address)?;
    Ok(w.finish())
}

/// The inquiry D record: its `CCYYMM`.
pub(crate) fn read_inquiry_header(rec: &[u8], errors: &mut Vec<FieldError>) -> Option<(u16, u8)> {
    let mut r = Reading::new(&INQUIRY_D_RECORD, rec, errors)?;
    let ym = r.check("year_month", rules::year_month);
    if r.clean() { ym } else { None }
}

pub(crate) fn write_inquiry_header(ym: (u16, u8)) -> Result<Vec<u8>, FieldError> {
    let mut w = RecordWriter::new(&INQUIRY_D_RECORD);
    w.text("year_month", &rules::format_year_month(ym))?;
    Ok(w.finish())
}

/// The inquiry I record.
pub(crate) fn read_inquiry(rec: &[u8], errors: &mut Vec<FieldError>) -> Option<Inquiry> {
    let mut r = Reading::new(&INQUIRY_I_RECORD, rec, errors)?;
    let ssn = r.check("ssn", rules::ssn);
    r.check("fips", rules::inquiry_fips);
    if !r.clean() {
        return None;
    }
    let t = |n: &str| r.text(n).unwrap_or_default().to_owned();
    Some(Inquiry {
        ssn: ssn?,
        last_name: t("last_name"),
        first_name: t("first_name"),
        passback: t("passback"),
        fips: t("fips"),
    })
}

pub(crate) fn write_inquiry(i: &Inquiry) -> Result<Vec<u8>, FieldError> {
    let mut w = RecordWriter::new(&INQUIRY_I_RECORD);
    w.text("ssn", i.ssn.expose())?
        .text("last_name", &i.last_name)?
        .text("first_name", &i.first_name)?
        .text("passback", &i.passback)?
        .text("fips", &i.fips)?;
    Ok(w.finish())
}

/// A trailer's count.
pub(crate) fn read_count(
    layout: &'static Layout,
    rec: &[u8],
    errors: &mut Vec<FieldError>,
) -> Option<u64> {
    let r = Reading::new(layout, rec, errors)?;
    if r.clean() {
        r.number("record_count")
    } else {
        None
    }
}

pub(crate) fn write_count(layout: &'static Layout, count: u64) -> Result<Vec<u8>, FieldError> {
    let mut w = RecordWriter::new(layout);
    w.number("record_count", count)?;
    Ok(w.finish())
}
