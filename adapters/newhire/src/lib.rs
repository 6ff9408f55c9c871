//! # ivd-newhire — employer new-hire reports in, NDNH transmissions out
//!
//! Employers report every new hire to the State Directory of New Hires (SDNH), which
//! passes them on to the National Directory of New Hires (NDNH). This crate is the pure
//! adapter for both sides (`README.md` lists the public sources):
//!
//! * **Intake**: [`read_new_hires`] streams a file in one of four [`Format`]s — the
//!   standard 801-byte `W4` record (§2), the vendor `XX Newhire Record` (§3), CSV with a
//!   header row, and XML per `schemas/new-hire.xsd` (§7 \[P\]) — and yields one
//!   [`RecordOutcome`] per record: a format-independent [`NewHire`] or errors, each with
//!   record number, field, position, a stable code and a message that never quotes the
//!   value (§8 rules; the code table is in `README.md` and [`codes`]).
//!   [`new_hire_verdicts`] gives the per-record verdicts `ivd-gateway check` prints.
//! * **Output**: [`write_new_hires`] writes every format from the same layouts and field
//!   lists.
//! * **NDNH**: [`ndnh`] writes the H4 / W4 / T4 transmission (ASCII or EBCDIC) and reads
//!   what NDNH sends back (the R4 control record and returned records \[P\]).
//! * **Test data**: [`generate`] writes synthetic, seeded, deterministic files of any size,
//!   with a chosen share of realistically invalid records.
//!
//! ## The decision that matters
//!
//! **Every format is reduced to one array of logical fields, and one validator turns it
//! into a `NewHire`.** A format only says where a field sits (an `ivd_fixed::Layout`, a
//! CSV column, an XML element path); the rules of §8 live once. Reading streams: a fixed
//! record is read into one reused buffer, CSV rows into one reused record, XML through a
//! pull parser holding one employee — memory does not grow with the file.
//!
//! Text is upper case on the wire: readers accept lower case and upper-case it. Names and
//! cities allow A–Z, space and hyphen; address lines, employer name and contact allow
//! printable ASCII.
//!
//! ## Example
//!
//! ```
//! use ivd_newhire::{Format, Rules, read_new_hires, write_new_hires};
//! use time::macros::date;
//!
//! let file = include_bytes!("../samples/valid.w4");
//! assert_eq!(Format::detect(file), Some(Format::W4));
//! let rules = Rules::new(date!(2026 - 03 - 20));
//!
//! let mut out = write_new_hires(Format::Csv, Vec::new());
//! for outcome in read_new_hires(Format::W4, &file[..], &rules) {
//!     assert!(outcome.is_valid(), "{}", outcome.verdict());
//!     let hire = outcome.new_hire.unwrap();
//!     // Debug never shows the SSN or the name.
//!     assert!(!format!("{hire:?}").contains(hire.employee.ssn.expose()));
//!     out.push(&hire)?;
//! }
//! let csv = out.finish()?;
//! assert!(csv.starts_with(b"employee_ssn,employee_first_name,"));
//!
//! // Per-record verdicts, as the gateway reports them.
//! let mixed = include_bytes!("../samples/mixed.w4");
//! let bad: Vec<_> = read_new_hires(Format::W4, &mixed[..], &rules)
//!     .filter(|o| !o.is_valid())
//!     .collect();
//! assert_eq!(bad[0].errors[0].code.as_str(), "SSN_AREA");
//! assert_eq!(bad[0].errors[0].position, Some(3));
//! # Ok::<(), ivd_newhire::WriteError>(())
//! ```
#![deny(missing_docs)]

pub mod codes;
mod fields;
pub mod fixed;
mod framing;
pub mod generate;
mod limit;
pub mod ndnh;
mod read;
mod types;
mod validate;
mod write;
pub mod xml;

pub use read::{Reader, new_hire_verdicts, read_new_hires};
pub use types::{
    Employee, EmployerInfo, NewHire, PostalAddress, Salary, SalaryFrequency, TaxpayerId,
};
pub use validate::{RecordOutcome, Rules, is_usps_state};
pub use write::{WriteError, Writer, write_new_hires};

/// The intake formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// The standard 801-byte `W4` record (§2), CCYYMMDD dates.
    W4,
    /// The vendor `XX Newhire Record` v1.00, 801 bytes (§3), MMDDYYYY dates.
    Xx,
    /// CSV with a header row of this crate's column names (`README.md`).
    Csv,
    /// XML per `schemas/new-hire.xsd`.
    Xml,
}

/// All formats.
pub const FORMATS: [Format; 4] = [Format::W4, Format::Xx, Format::Csv, Format::Xml];

impl Format {
    /// `"w4"`, `"xx"`, `"csv"` or `"xml"`.
    pub fn name(self) -> &'static str {
        match self {
            Format::W4 => "w4",
            Format::Xx => "xx",
            Format::Csv => "csv",
            Format::Xml => "xml",
        }
    }

    /// Sniffs the format from the first bytes of a file (a few hundred are plenty):
    /// `W4…` is W4; two letters + ` Newhire Record` is XX; `<` (after an optional BOM and
    /// white space) is XML; a first line naming the `employee_ssn` column is CSV.
    pub fn detect(prefix: &[u8]) -> Option<Format> {
        let p = prefix.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(prefix);
        if p.starts_with(b"W4") {
            return Some(Format::W4);
        }
        if fixed::is_xx_id(p) {
            return Some(Format::Xx);
        }
        let trimmed = p.trim_ascii_start();
        if trimmed.starts_with(b"<") {
            return Some(Format::Xml);
        }
        let line = p.split(|&b| b == b'\n').next().unwrap_or(p);
        let has_ssn_column = line.split(|&b| b == b',').any(|c| {
            c.trim_ascii()
                .trim_ascii_matches_quotes()
                .eq_ignore_ascii_case(b"employee_ssn")
        });
        has_ssn_column.then_some(Format::Csv)
    }

    /// The format for an HTTP `Content-Type` (parameters such as `; charset=utf-8` are
    /// ignored, case-insensitive):
    ///
    /// | media type | format |
    /// |---|---|
    /// | `text/csv`, `application/csv` | CSV |
    /// | `application/xml`, `text/xml`, `application/vnd.ivd.newhire+xml` | XML |
    /// | `application/vnd.ivd.newhire-w4` | W4 |
    /// | `application/vnd.ivd.newhire-xx` | XX |
    pub fn from_media_type(content_type: &str) -> Option<Format> {
        let essence = content_type.split(';').next().unwrap_or("").trim();
        let is = |s: &str| essence.eq_ignore_ascii_case(s);
        if is("text/csv") || is("application/csv") {
            Some(Format::Csv)
        } else if is("application/xml") || is("text/xml") || is("application/vnd.ivd.newhire+xml") {
            Some(Format::Xml)
        } else if is("application/vnd.ivd.newhire-w4") {
            Some(Format::W4)
        } else if is("application/vnd.ivd.newhire-xx") {
            Some(Format::Xx)
        } else {
            None
        }
    }

    /// The media type this crate writes for the format.
    pub fn media_type(self) -> &'static str {
        match self {
            Format::W4 => "application/vnd.ivd.newhire-w4",
            Format::Xx => "application/vnd.ivd.newhire-xx",
            Format::Csv => "text/csv",
            Format::Xml => "application/xml",
        }
    }
}

trait TrimQuotes {
    fn trim_ascii_matches_quotes(&self) -> &[u8];
}

impl TrimQuotes for [u8] {
    fn trim_ascii_matches_quotes(&self) -> &[u8] {
        let s = self.strip_prefix(b"\"").unwrap_or(self);
        s.strip_suffix(b"\"").unwrap_or(s)
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// An unknown format name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown new-hire format (expected w4, xx, csv or xml)")]
pub struct UnknownFormat;

impl std::str::FromStr for Format {
    type Err = UnknownFormat;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FORMATS
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(s))
            .ok_or(UnknownFormat)
    }
}
