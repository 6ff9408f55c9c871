//! The file commands, `ivd-gateway check FORMAT FILE [--json]` and `ivd-gateway convert
//! FORMAT FILE`: a partner's file read record by record, without sending or storing
//! anything.
//!
//! **The `check` contract** every format follows (built on [`ivd_fixed::RecordVerdict`]):
//! one verdict per record, numbered from 1; with `--json` one JSON object per line,
//! `{"record": N, "status": "valid"|"invalid", "errors": [{"field": NAME, "position": P,
//! "code": CODE, "message": TEXT}]}`, where `P` is the 1-based byte position in the record
//! where the offending field starts and is absent for errors of the whole record; exit
//! status 0 when every record is valid, 1 when any is invalid, 2 when the file cannot be
//! read or the format is unknown. Messages never quote field values (an SSN must not reach
//! a terminal log).
//!
//! **`convert`** prints the records as JSON lines (each format documents its JSON form in
//! its adapter's README) and reports every record that did not convert on stderr as a
//! `check --json` verdict; some formats also convert JSON lines back (`--from-json`). Exit
//! status 0 every record converted, 1 some did not, 2 the file cannot be read. Output
//! lines hold the file's personal data (SSNs, names): treat them as the file itself.
//!
//! The formats are the channels' ([`crate::channels::Channel::file_formats`]) plus the
//! canonical case lines the state system pushes ([`CaseJsonLines`]).

use std::io::Write;
use std::path::Path;

use ivd_fixed::{Encoding, FieldError, RecordVerdict};

/// What the file commands were given besides the format and the file.
#[derive(Debug, Clone, Default)]
pub struct FileOptions {
    /// `check --json`: one JSON object per verdict.
    pub json: bool,
    /// `--format VARIANT`: a format with variants (new-hire W4, XX, CSV, XML) names one.
    pub variant: Option<String>,
    /// `convert --to FORMAT`: the variant to convert into.
    pub to: Option<String>,
    /// `convert --from-json`: JSON lines back to the partner format.
    pub from_json: bool,
    /// `convert --from-json --outbound`: write records as we send them.
    pub outbound: bool,
    /// `convert --from-json --inbound`: write records as we receive them.
    pub inbound: bool,
}

/// A partner file format the file commands understand.
pub trait FileFormat: Send + Sync {
    /// The name given on the command line.
    fn name(&self) -> &'static str;
    /// One line saying what it is.
    fn describe(&self) -> &'static str;
    /// A verdict for every record of `bytes`, in order.
    fn check<'a>(&'a self, bytes: &'a [u8]) -> Box<dyn Iterator<Item = RecordVerdict> + 'a>;
    /// `check FORMAT FILE`; returns the exit status. The whole file is read, then its
    /// verdicts printed; formats whose files are large stream instead.
    fn check_file(&self, file: &Path, options: &FileOptions) -> i32 {
        let Some(bytes) = read_file(file) else {
            return 2;
        };
        print_verdicts(self.check(&bytes), options.json, None)
    }
    /// Whether `convert` knows this format.
    fn converts(&self) -> bool {
        false
    }
    /// `convert FORMAT FILE`; returns the exit status. Only called when [`Self::converts`].
    fn convert_file(&self, _file: &Path, _options: &FileOptions) -> i32 {
        eprintln!("The {} format has no converter.", self.name());
        2
    }
    /// `generate FORMAT`: writes a synthetic file (random people, never drawn from a real
    /// record); returns the exit status. Formats without a generator refuse.
    fn generate_file(&self, _options: &GenerateOptions) -> i32 {
        eprintln!("The {} format has no generator.", self.name());
        2
    }
}

/// What `generate FORMAT` was given.
#[derive(Debug, Clone)]
pub struct GenerateOptions {
    /// How many records.
    pub records: u64,
    /// Seed of the random generator (the same seed gives the same file).
    pub seed: u64,
    /// The variant to write (new hires: w4, xx, csv or xml).
    pub variant: String,
    /// Share of records made invalid (0 to 1).
    pub invalid_rate: f64,
    /// Every record for this employer, when given.
    pub fein: Option<ivd_model::Fein>,
    /// Where to write (stdout when `None`).
    pub output: Option<std::path::PathBuf>,
}

/// `generate FORMAT`; returns the exit status.
pub fn generate(name: &str, options: &GenerateOptions) -> i32 {
    match format(name) {
        Some(format) => format.generate_file(options),
        None => {
            unknown_format(name, "check");
            2
        }
    }
}

/// A format whose files are read whole into records (the federal files): everything the
/// file commands need of it is its verdicts and its records as JSON, and it gets
/// [`FileFormat`] from them.
pub trait WholeFileFormat: Send + Sync {
    /// The name given on the command line.
    fn name(&self) -> &'static str;
    /// One line saying what it is.
    fn describe(&self) -> &'static str;
    /// A verdict for every record of `bytes`.
    fn verdicts(&self, bytes: &[u8]) -> Vec<RecordVerdict>;
    /// The parsed records as JSON values, the invalid records' verdicts and the
    /// file-level errors.
    fn parsed(&self, bytes: &[u8]) -> Parsed;
}

/// What [`WholeFileFormat::parsed`] found: the records as JSON values, the invalid
/// records' verdicts, the file-level errors.
pub type Parsed = (Vec<serde_json::Value>, Vec<RecordVerdict>, Vec<FieldError>);

impl<F: WholeFileFormat> FileFormat for F {
    fn name(&self) -> &'static str {
        WholeFileFormat::name(self)
    }

    fn describe(&self) -> &'static str {
        WholeFileFormat::describe(self)
    }

    fn check<'a>(&'a self, bytes: &'a [u8]) -> Box<dyn Iterator<Item = RecordVerdict> + 'a> {
        Box::new(self.verdicts(bytes).into_iter())
    }

    fn converts(&self) -> bool {
        true
    }

    fn convert_file(&self, file: &Path, _options: &FileOptions) -> i32 {
        let Some(bytes) = read_file(file) else {
            return 2;
        };
        let (values, invalid, errors) = self.parsed(&bytes);
        print_converted(&values, &invalid, &errors)
    }
}

/// Every format the file commands know: the canonical case lines, then each channel's.
pub fn formats() -> Vec<&'static dyn FileFormat> {
    let mut formats: Vec<&'static dyn FileFormat> = vec![&CaseJsonLines];
    for channel in crate::channels::all() {
        formats.extend(channel.file_formats());
    }
    formats
}

/// The format named `name`.
pub fn format(name: &str) -> Option<&'static dyn FileFormat> {
    formats().into_iter().find(|f| f.name() == name)
}

/// `check FORMAT FILE`; returns the exit status.
pub fn check(name: &str, file: &Path, options: &FileOptions) -> i32 {
    match format(name) {
        Some(format) => format.check_file(file, options),
        None => {
            unknown_format(name, "check");
            2
        }
    }
}

/// `convert FORMAT FILE`; returns the exit status.
pub fn convert(name: &str, file: &Path, options: &FileOptions) -> i32 {
    let Some(format) = format(name) else {
        unknown_format(name, "convert");
        return 2;
    };
    if !format.converts() {
        eprintln!("The {name} format has no converter.");
        unknown_format(name, "convert");
        return 2;
    }
    format.convert_file(file, options)
}

/// Lists the formats `command` knows, on stderr.
fn unknown_format(name: &str, command: &str) {
    if format(name).is_none() {
        eprintln!("Unknown format {name:?}.");
    }
    eprintln!("Formats {command} knows:");
    for format in formats() {
        if command == "check" || format.converts() {
            eprintln!("  {:<22} {}", format.name(), format.describe());
        }
    }
}

/// The whole file, or `None` after saying on stderr why it cannot be read.
pub fn read_file(file: &Path) -> Option<Vec<u8>> {
    match std::fs::read(file) {
        Ok(bytes) => Some(bytes),
        Err(error) => {
            eprintln!("Cannot read {}: {error}", file.display());
            None
        }
    }
}

/// Prints `verdicts` by the `check` contract and a summary line (naming `variant` when
/// given); returns the exit status.
pub fn print_verdicts(
    verdicts: impl Iterator<Item = RecordVerdict>,
    json: bool,
    variant: Option<&str>,
) -> i32 {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let (mut records, mut invalid) = (0u64, 0u64);
    for verdict in verdicts {
        records += 1;
        if !verdict.is_valid() {
            invalid += 1;
        }
        let written = if json {
            writeln!(out, "{}", verdict.to_json_line())
        } else {
            writeln!(out, "{verdict}")
        };
        if written.is_err() {
            return 2;
        }
    }
    if !json {
        let valid = records - invalid;
        let summary = match variant {
            Some(variant) => {
                writeln!(
                    out,
                    "{records} record(s) ({variant}), {valid} valid, {invalid} invalid."
                )
            }
            None => writeln!(
                out,
                "{records} record(s), {valid} valid, {invalid} invalid."
            ),
        };
        if summary.is_err() {
            return 2;
        }
    }
    if out.flush().is_err() {
        return 2;
    }
    if invalid > 0 { 1 } else { 0 }
}

/// Prints converted records (one JSON value a line) on stdout, and what did not convert
/// on stderr: each invalid record's verdict, then the file-level errors. Returns the exit
/// status.
pub fn print_converted(
    values: &[serde_json::Value],
    invalid: &[RecordVerdict],
    file_errors: &[FieldError],
) -> i32 {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for value in values {
        if writeln!(out, "{value}").is_err() {
            return 2;
        }
    }
    if out.flush().is_err() {
        return 2;
    }
    for verdict in invalid {
        eprintln!("{}", verdict.to_json_line());
    }
    for error in file_errors {
        eprintln!(
            "{}",
            serde_json::json!({ "file": true, "field": error.field, "code": error.code.as_str(), "message": error.message })
        );
    }
    if invalid.is_empty() && file_errors.is_empty() {
        0
    } else {
        1
    }
}

/// Each item in its JSON form (for [`print_converted`]).
pub fn json_values<T: serde::Serialize>(items: &[T]) -> Vec<serde_json::Value> {
    items
        .iter()
        .map(|i| serde_json::to_value(i).unwrap_or_default())
        .collect()
}

/// Federal files come in EBCDIC (the federal rule) or ASCII (test files, some states'
/// FIDM partners); the file commands tell them apart by the bytes: ASCII when the first
/// 245 bytes are at least 95% printable ASCII or line ends, EBCDIC 037 otherwise.
pub fn sniff_encoding(bytes: &[u8]) -> Encoding {
    let head = &bytes[..bytes.len().min(245)];
    if head.is_empty() {
        return Encoding::Ascii;
    }
    let printable = head
        .iter()
        .filter(|b| (0x20..0x7f).contains(*b) || **b == b'\n' || **b == b'\r')
        .count();
    if printable * 100 >= head.len() * 95 {
        Encoding::Ascii
    } else {
        Encoding::Ebcdic037
    }
}

/// Newline-delimited canonical cases (`schemas/case.schema.json`), one case a line: the
/// format in which the state system pushes cases in bulk.
#[derive(Debug)]
pub struct CaseJsonLines;

impl FileFormat for CaseJsonLines {
    fn name(&self) -> &'static str {
        "case-json"
    }

    fn describe(&self) -> &'static str {
        "canonical IV-D cases, one JSON object per line"
    }

    fn check<'a>(&'a self, bytes: &'a [u8]) -> Box<dyn Iterator<Item = RecordVerdict> + 'a> {
        let lines = bytes
            .split(|b| *b == b'\n')
            .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
            .filter(|line| !line.iter().all(u8::is_ascii_whitespace));
        Box::new(
            lines
                .zip(1u64..)
                .map(|(line, record)| match ivd_casejson::read_case(line) {
                    Ok(_) => RecordVerdict::valid(record),
                    Err(errors) => RecordVerdict::new(record, errors),
                }),
        )
    }
}

/// Asserts that each committed sample (a path from the repository's root) reads with its
/// format into at least one record, every one valid, with no file-level error.
#[cfg(test)]
pub(crate) fn every_sample_reads_clean<F: WholeFileFormat>(samples: &[(F, &str)]) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (format, sample) in samples {
        let bytes = std::fs::read(root.join(sample)).unwrap();
        let verdicts = format.verdicts(&bytes);
        assert!(!verdicts.is_empty(), "{sample}");
        assert!(
            verdicts.iter().all(RecordVerdict::is_valid),
            "{sample}: {verdicts:?}"
        );
        let (values, invalid, errors) = format.parsed(&bytes);
        assert!(
            !values.is_empty() && invalid.is_empty() && errors.is_empty(),
            "{sample}"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_and_ebcdic_are_told_apart_by_their_bytes() {
        let ascii = b"KS   123456789".repeat(20);
        assert_eq!(sniff_encoding(&ascii), Encoding::Ascii);
        let ebcdic = Encoding::Ebcdic037.encode(&ascii).into_owned();
        assert_eq!(sniff_encoding(&ebcdic), Encoding::Ebcdic037);
    }

    #[test]
    fn format_names_are_unique_across_channels() {
        let mut names: Vec<&str> = formats().iter().map(|f| f.name()).collect();
        let count = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), count, "two formats share a name");
    }
}
