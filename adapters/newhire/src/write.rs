//! Writers for every format, from the same layouts and field lists as the readers.

use std::io::Write;

use ivd_fixed::FieldError;

use crate::Format;
use crate::fields::{self as f, RawOwned, addr};
use crate::fixed::{self, FixedFormat};
use crate::types::{NewHire, PostalAddress};
use crate::xml::{XmlOut, decimal};

/// Why a report could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WriteError {
    /// The output failed.
    #[error("writing failed: {0}")]
    Io(#[from] std::io::Error),
    /// A value does not fit its field (e.g. a 50-character employer name in 45 bytes).
    /// The error names the field, never the value.
    #[error("report {record}: {error}")]
    Field {
        /// 1-based number of the report (the record) in this writer, named `record` as
        /// in every adapter's write error.
        record: u64,
        /// What did not fit.
        error: Box<FieldError>,
    },
}

/// Writes reports in one format; see [`write_new_hires`].
pub struct Writer<W: Write> {
    out: Out<W>,
    raw: RawOwned,
    buf: Vec<u8>,
    count: u64,
}

enum Out<W: Write> {
    Fixed(&'static FixedFormat, W),
    Csv(Box<csv::Writer<W>>, bool),
    Xml(XmlOut, W),
}

/// A writer of `format` into `out`. Fixed formats write each 801-byte record followed by
/// `\r\n`; CSV writes a header row with every column; XML writes one `NewHireReport`,
/// grouping consecutive reports of the same employer under one `Employer`.
pub fn write_new_hires<W: Write>(format: Format, out: W) -> Writer<W> {
    let out = match format {
        Format::W4 => Out::Fixed(&fixed::W4_FORMAT, out),
        Format::Xx => Out::Fixed(&fixed::XX_FORMAT, out),
        Format::Csv => Out::Csv(
            Box::new(
                csv::WriterBuilder::new()
                    .has_headers(false)
                    .from_writer(out),
            ),
            false,
        ),
        Format::Xml => Out::Xml(XmlOut::new(), out),
    };
    Writer {
        out,
        raw: RawOwned::new(),
        buf: Vec::with_capacity(fixed::RECORD_LEN + 2),
        count: 0,
    }
}

fn csv_err(e: csv::Error) -> WriteError {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => WriteError::Io(io),
        other => WriteError::Io(std::io::Error::other(format!("{other:?}"))),
    }
}

impl<W: Write> Writer<W> {
    /// Writes one report.
    pub fn push(&mut self, nh: &NewHire) -> Result<(), WriteError> {
        fill_raw(nh, &mut self.raw);
        self.push_raw_inner()
    }

    /// Writes the logical fields as they are (the generator uses this to write invalid
    /// records).
    pub(crate) fn push_raw(&mut self, raw: &RawOwned) -> Result<(), WriteError> {
        self.raw.v.clone_from(&raw.v);
        self.push_raw_inner()
    }

    fn push_raw_inner(&mut self) -> Result<(), WriteError> {
        self.count += 1;
        let raw = &self.raw;
        match &mut self.out {
            Out::Fixed(format, out) => {
                format
                    .emit(raw, &mut self.buf)
                    .map_err(|error| WriteError::Field {
                        record: self.count,
                        error: Box::new(error),
                    })?;
                self.buf.extend_from_slice(b"\r\n");
                out.write_all(&self.buf)?;
            }
            Out::Csv(w, header) => {
                if !*header {
                    *header = true;
                    w.write_record(f::NAMES).map_err(csv_err)?;
                }
                for (i, v) in raw.v.iter().enumerate() {
                    let field = match i {
                        f::DOB | f::DOH if v.len() == 8 => {
                            std::borrow::Cow::Owned(format!("{}-{}-{}", &v[..4], &v[4..6], &v[6..]))
                        }
                        f::SALARY if !v.is_empty() => std::borrow::Cow::Owned(decimal(v)),
                        _ => std::borrow::Cow::Borrowed(v.as_str()),
                    };
                    w.write_field(field.as_bytes()).map_err(csv_err)?;
                }
                w.write_record(None::<&[u8]>).map_err(csv_err)?;
            }
            Out::Xml(state, out) => state.push(out, raw)?,
        }
        Ok(())
    }

    /// Number of reports written so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Completes the file (CSV header if nothing was written; XML closing tags) and
    /// returns the output.
    pub fn finish(self) -> Result<W, WriteError> {
        match self.out {
            Out::Fixed(_, mut out) => {
                out.flush()?;
                Ok(out)
            }
            Out::Csv(mut w, header) => {
                if !header {
                    w.write_record(f::NAMES).map_err(csv_err)?;
                }
                w.flush()?;
                w.into_inner()
                    .map_err(|e| WriteError::Io(std::io::Error::other(e.error().to_string())))
            }
            Out::Xml(mut state, mut out) => {
                state.finish(&mut out)?;
                out.flush()?;
                Ok(out)
            }
        }
    }
}

fn put(slot: &mut String, v: &str) {
    slot.clear();
    slot.push_str(v);
}

fn put_opt(slot: &mut String, v: Option<&str>) {
    put(slot, v.unwrap_or(""));
}

fn put_flag(slot: &mut String, v: Option<bool>) {
    put(slot, v.map_or("", |b| if b { "Y" } else { "N" }));
}

fn put_date(slot: &mut String, d: Option<time::Date>) {
    slot.clear();
    if let Some(d) = d {
        use std::fmt::Write as _;
        let _ = write!(slot, "{:04}{:02}{:02}", d.year(), d.month() as u8, d.day());
    }
}

fn put_address(raw: &mut RawOwned, base: usize, a: Option<&PostalAddress>) {
    let v = &mut raw.v;
    put(&mut v[base + addr::LINE1], a.map_or("", |a| &a.line1));
    put_opt(
        &mut v[base + addr::LINE2],
        a.and_then(|a| a.line2.as_deref()),
    );
    put_opt(
        &mut v[base + addr::LINE3],
        a.and_then(|a| a.line3.as_deref()),
    );
    put(&mut v[base + addr::CITY], a.map_or("", |a| &a.city));
    put_opt(
        &mut v[base + addr::STATE],
        a.and_then(|a| a.state.as_deref()),
    );
    put_opt(&mut v[base + addr::ZIP], a.and_then(|a| a.zip5.as_deref()));
    put_opt(&mut v[base + addr::ZIP4], a.and_then(|a| a.zip4.as_deref()));
    put_opt(
        &mut v[base + addr::COUNTRY_CODE],
        a.and_then(|a| a.country_code.as_deref()),
    );
    put_opt(
        &mut v[base + addr::COUNTRY_NAME],
        a.and_then(|a| a.country_name.as_deref()),
    );
    put_opt(
        &mut v[base + addr::POSTAL],
        a.and_then(|a| a.postal_code.as_deref()),
    );
}

/// A report as canonical logical fields (dates CCYYMMDD, salary in cents, flags Y/N).
pub(crate) fn fill_raw(nh: &NewHire, raw: &mut RawOwned) {
    let e = &nh.employee;
    let er = &nh.employer;
    let name = e.name.expose();
    put(&mut raw.v[f::SSN], e.ssn.expose());
    put(&mut raw.v[f::FIRST], name.first);
    put_opt(&mut raw.v[f::MIDDLE], name.middle);
    put(&mut raw.v[f::LAST], name.last);
    put_address(raw, f::EMP_ADDR, Some(&e.address));
    put_date(&mut raw.v[f::DOB], e.birth_date);
    put_date(&mut raw.v[f::DOH], Some(nh.hire_date));
    put_opt(&mut raw.v[f::STATE_OF_HIRE], nh.state_of_hire.as_deref());
    put(&mut raw.v[f::FEIN], er.fein.expose());
    put_opt(&mut raw.v[f::SEIN], er.state_ein.as_deref());
    put(&mut raw.v[f::ER_NAME], &er.name);
    put_address(raw, f::ER_ADDR, Some(&er.address));
    put_address(raw, f::OPT_ADDR, er.optional_address.as_ref());
    put_opt(&mut raw.v[f::PHONE], er.phone.as_deref());
    put_opt(&mut raw.v[f::PHONE_EXT], er.phone_extension.as_deref());
    put_opt(&mut raw.v[f::CONTACT], er.contact.as_deref());
    put_flag(&mut raw.v[f::MULTISTATE], er.multistate);
    put_flag(&mut raw.v[f::MEDICAL], nh.medical_insurance);
    match nh.salary {
        Some(s) => {
            put(&mut raw.v[f::SALARY], &s.amount_cents.to_string());
            raw.v[f::SALARY_FREQ].clear();
            raw.v[f::SALARY_FREQ].push(s.frequency.code());
        }
        None => {
            raw.v[f::SALARY].clear();
            raw.v[f::SALARY_FREQ].clear();
        }
    }
}

impl Format {
    /// What of `nh` survives a write → read round trip through this format: fields the
    /// format has no place for are dropped (W4: phone, contact, indicators; XX: country
    /// names, salary, and the ZIP of a foreign / postal code of a domestic address).
    pub fn representable(self, nh: &NewHire) -> NewHire {
        let mut nh = nh.clone();
        match self {
            Format::W4 => {
                let er = &mut nh.employer;
                er.phone = None;
                er.phone_extension = None;
                er.contact = None;
                er.multistate = None;
                nh.medical_insurance = None;
            }
            Format::Xx => {
                nh.salary = None;
                let fix = |a: &mut PostalAddress| {
                    a.country_name = None;
                    if a.country_code.is_some() {
                        a.zip5 = None;
                    } else {
                        a.postal_code = None;
                    }
                };
                fix(&mut nh.employee.address);
                fix(&mut nh.employer.address);
                if let Some(a) = nh.employer.optional_address.as_mut() {
                    fix(a);
                }
            }
            Format::Csv | Format::Xml => {}
        }
        nh
    }
}
