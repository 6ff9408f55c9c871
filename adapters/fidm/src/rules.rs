//! The §B.6 validation rules, once, and the helper that applies them to one record.
//!
//! Reading a record is two passes over its layout: `ivd-fixed` checks every field's kind
//! (printable text, digits, dates, signs, required fields), then the rules here check
//! meaning (SSN and TIN structure, `CCYYMM`, state codes, code tables). A field that
//! failed the first pass is not checked again, so each problem is reported once. Writers
//! run the same reader over every record they produce, so they never write what the
//! reader would reject.

use std::borrow::Cow;

use ivd_fixed::{ErrorCode, FieldError, Layout, Record};
use ivd_model::{Fein, IdError, Ssn, StateCode, StateFips};

use crate::codes;

/// What is wrong with one value: a code and a message that never quotes the value.
pub(crate) struct Problem {
    pub(crate) code: ErrorCode,
    pub(crate) message: Cow<'static, str>,
}

pub(crate) fn problem(code: ErrorCode, message: impl Into<Cow<'static, str>>) -> Problem {
    Problem {
        code,
        message: message.into(),
    }
}

/// One record being read: its fields and the errors found so far.
pub(crate) struct Reading<'a, 'e> {
    rec: Record<'a>,
    errors: &'e mut Vec<FieldError>,
    before: usize,
}

impl<'a, 'e> Reading<'a, 'e> {
    /// Checks the length and every field's kind; `None` (with a `LENGTH` error) when the
    /// record does not have the layout's length.
    pub(crate) fn new(
        layout: &'a Layout,
        bytes: &'a [u8],
        errors: &'e mut Vec<FieldError>,
    ) -> Option<Self> {
        let before = errors.len();
        match layout.read(bytes) {
            Ok(rec) => {
                rec.collect_errors(errors);
                Some(Self {
                    rec,
                    errors,
                    before,
                })
            }
            Err(e) => {
                errors.push(e);
                None
            }
        }
    }

    /// `true` when no error was found in this record so far.
    pub(crate) fn clean(&self) -> bool {
        self.errors.len() == self.before
    }

    /// A text field, trimmed; `None` when it failed the kind check (already reported).
    pub(crate) fn text(&self, name: &str) -> Option<&'a str> {
        self.rec.text(name).ok()
    }

    /// Reports a problem with field `name`.
    pub(crate) fn fail(&mut self, name: &str, p: Problem) {
        let (field, position) = match self.rec.layout().field(name) {
            Some(f) => (f.name, f.start),
            None => ("record", 1),
        };
        let raw = self.rec.raw(name).unwrap_or_default();
        self.errors
            .push(FieldError::new(p.code, field, position, p.message).with_bad_bytes(raw));
    }

    /// Reads text field `name` and applies `rule`; a failed rule is reported.
    pub(crate) fn check<T>(
        &mut self,
        name: &str,
        rule: impl FnOnce(&str) -> Result<T, Problem>,
    ) -> Option<T> {
        let s = self.text(name)?;
        match rule(s) {
            Ok(v) => Some(v),
            Err(p) => {
                self.fail(name, p);
                None
            }
        }
    }

    /// An amount field, in whole units; `None` when it failed the kind check.
    pub(crate) fn amount(&self, name: &str) -> Option<i64> {
        self.rec.amount(name).ok()
    }

    /// A number field; `None` when blank or when it failed the kind check.
    pub(crate) fn number(&self, name: &str) -> Option<u64> {
        self.rec.number_opt(name).ok().flatten()
    }

    /// `Ok(None)` blank, `Ok(Some(d))` a date, `Err(())` failed the kind check.
    pub(crate) fn date(&self, name: &str) -> Result<Option<time::Date>, ()> {
        self.rec.date(name).map_err(|_| ())
    }
}

pub(crate) fn ssn(s: &str) -> Result<Ssn, Problem> {
    Ssn::parse(s).map_err(|e| match e {
        IdError::SsnArea => problem(codes::SSN_AREA, "SSN area must not be 000, 666 or 900-999"),
        IdError::SsnGroup => problem(codes::SSN_GROUP, "SSN group (digits 4-5) must not be 00"),
        IdError::SsnSerial => problem(
            codes::SSN_SERIAL,
            "SSN serial (digits 6-9) must not be 0000",
        ),
        _ => problem(codes::SSN_FORMAT, "SSN must be 9 digits"),
    })
}

pub(crate) fn optional_ssn(s: &str) -> Result<Option<Ssn>, Problem> {
    if s.is_empty() {
        Ok(None)
    } else {
        ssn(s).map(Some)
    }
}

pub(crate) fn tin(s: &str) -> Result<Fein, Problem> {
    Fein::parse(s).map_err(|e| match e {
        IdError::FeinPrefix => problem(
            codes::TIN_PREFIX,
            "TIN prefix (first 2 digits) was never issued by the IRS",
        ),
        _ => problem(codes::TIN_FORMAT, "TIN must be 9 digits"),
    })
}

pub(crate) fn optional_tin(s: &str) -> Result<Option<Fein>, Problem> {
    if s.is_empty() {
        Ok(None)
    } else {
        tin(s).map(Some)
    }
}

/// `CCYYMM`: 6 digits, starting `20`, month 01–12 (Kansas validation \[V-KS\]).
pub(crate) fn year_month(s: &str) -> Result<(u16, u8), Problem> {
    let b = s.as_bytes();
    if b.len() != 6 || !b.iter().all(u8::is_ascii_digit) {
        return Err(problem(codes::YEAR_MONTH, "CCYYMM must be 6 digits"));
    }
    if !s.starts_with("20") {
        return Err(problem(codes::YEAR_MONTH, "CCYYMM must start with 20"));
    }
    let year: u16 = s[..4].parse().unwrap_or(0);
    let month: u8 = s[4..].parse().unwrap_or(0);
    if !(1..=12).contains(&month) {
        return Err(problem(codes::YEAR_MONTH, "CCYYMM month must be 01-12"));
    }
    Ok((year, month))
}

pub(crate) fn format_year_month(ym: (u16, u8)) -> String {
    format!("{:04}{:02}", ym.0, ym.1)
}

/// A USPS state code, or blank when `required` is false.
pub(crate) fn state(s: &str, required: bool) -> Result<(), Problem> {
    if s.is_empty() {
        return if required {
            Err(problem(ErrorCode::REQUIRED, "state is required"))
        } else {
            Ok(())
        };
    }
    StateCode::parse(s)
        .map(|_| ())
        .map_err(|_| problem(codes::STATE_CODE, "not a USPS state code"))
}

/// A ZIP: 5 or 9 digits, left-justified, or blank.
pub(crate) fn zip(s: &str) -> Result<(), Problem> {
    let digits = s.bytes().all(|b| b.is_ascii_digit());
    if s.is_empty() || (digits && (s.len() == 5 || s.len() == 9)) {
        Ok(())
    } else {
        Err(problem(
            codes::ZIP_FORMAT,
            "ZIP must be 5 or 9 digits, left-justified",
        ))
    }
}

/// A last-name control: 1–4 of `A`–`Z`, `0`–`9`, `-`, `&`, left-justified, no blanks.
pub(crate) fn name_control(s: &str, required: bool) -> Result<(), Problem> {
    if s.is_empty() {
        return if required {
            Err(problem(ErrorCode::REQUIRED, "name control is required"))
        } else {
            Ok(())
        };
    }
    let ok = s
        .bytes()
        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-' || b == b'&');
    if ok {
        Ok(())
    } else {
        Err(problem(
            codes::NAME_CONTROL,
            "name control must be left-justified upper-case letters, digits, '-' or '&', without blanks",
        ))
    }
}

/// A one-byte yes/no indicator: blank is no, `yes` is yes.
pub(crate) fn flag(s: &str, yes: &'static str) -> Result<bool, Problem> {
    match s {
        "" => Ok(false),
        _ if s == yes => Ok(true),
        _ => Err(problem(
            codes::INDICATOR,
            format!("indicator must be {yes:?} or blank"),
        )),
    }
}

/// A code of a §B.6 table; blank is `None`.
pub(crate) fn code<T>(
    s: &str,
    from_code: fn(&str) -> Option<T>,
    error: ErrorCode,
    allowed: &'static str,
) -> Result<Option<T>, Problem> {
    if s.is_empty() {
        return Ok(None);
    }
    from_code(s)
        .map(Some)
        .ok_or_else(|| problem(error, format!("code must be one of {allowed}")))
}

/// An inquiry FIPS code: 5 digits, a state FIPS code and a county (e.g. `20000`).
pub(crate) fn inquiry_fips(s: &str) -> Result<(), Problem> {
    let b = s.as_bytes();
    if b.len() != 5 || !b.iter().all(u8::is_ascii_digit) {
        return Err(problem(codes::FIPS_CODE, "FIPS code must be 5 digits"));
    }
    StateFips::parse(&s[..2]).map(|_| ()).map_err(|_| {
        problem(
            codes::FIPS_CODE,
            "FIPS code must start with a state FIPS code",
        )
    })
}
