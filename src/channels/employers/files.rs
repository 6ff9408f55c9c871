//! The employers' files for the file commands: new-hire reports (`check newhire`,
//! `convert newhire`, `generate newhire`) and e-IWO acknowledgment files (`check
//! eiwo-ack`).
//!
//! All three stream: a million-record file is read and written record by record, so
//! memory does not grow with it. On a terminal a progress bar shows the records done
//! (on stderr, so that it never mixes with the data or the verdicts on stdout).
//!
//! `check newhire FILE [--format w4|xx|csv|xml] [--json]` follows the `check` contract
//! ([`crate::files`]): one verdict per record, exit 0 / 1 / 2. Warnings (for example an
//! implausible date of birth, which is ignored) do not make a record invalid; with
//! `--json` they are not printed, as the contract has errors only.

use std::fs::File;
use std::io::{BufReader, BufWriter, IsTerminal, Read, Write};
use std::path::Path;

use indicatif::{ProgressBar, ProgressStyle};
use ivd_fixed::RecordVerdict;
use ivd_newhire::{Format, Rules};

use crate::files::{FileFormat, FileOptions, GenerateOptions, print_verdicts};

/// Employers' new-hire reports in any of their four forms (W4 fixed records, the XX
/// variant, CSV, XML), read as a stream: a million-record file costs no more memory than
/// one record.
#[derive(Debug)]
pub struct NewHireFiles;

impl FileFormat for NewHireFiles {
    fn name(&self) -> &'static str {
        "newhire"
    }

    fn describe(&self) -> &'static str {
        "employers' new-hire files (W4, XX, CSV or XML; --format to name one, --to to convert)"
    }

    fn check<'a>(&'a self, bytes: &'a [u8]) -> Box<dyn Iterator<Item = RecordVerdict> + 'a> {
        match Format::detect(&bytes[..bytes.len().min(SNIFF)]) {
            Some(format) => Box::new(ivd_newhire::new_hire_verdicts(
                format,
                bytes,
                &Rules::new(today()),
            )),
            None => Box::new(std::iter::once(RecordVerdict::new(
                1,
                vec![ivd_fixed::FieldError::unpositioned(
                    ivd_fixed::ErrorCode::new("FORMAT"),
                    "file",
                    "not a new-hire file in a form this gateway reads (W4, XX, CSV, XML)",
                )],
            ))),
        }
    }

    fn check_file(&self, file: &Path, options: &FileOptions) -> i32 {
        check(file, options.variant.as_deref(), options.json)
    }

    fn converts(&self) -> bool {
        true
    }

    fn generate_file(&self, options: &GenerateOptions) -> i32 {
        generate(
            options.records,
            options.seed,
            &options.variant,
            options.invalid_rate,
            options.fein.as_ref(),
            options.output.as_deref(),
        )
    }

    fn convert_file(&self, file: &Path, options: &FileOptions) -> i32 {
        let Some(to) = options.to.as_deref() else {
            eprintln!("convert newhire needs --to w4|xx|csv|xml.");
            return 2;
        };
        convert(file, options.variant.as_deref(), to)
    }
}

/// Employers' e-IWO acknowledgment files (FHA, BHA, ACK…, BTA, FTA): the envelope and
/// every acknowledgment record.
#[derive(Debug)]
pub struct EiwoAcknowledgments;

impl FileFormat for EiwoAcknowledgments {
    fn name(&self) -> &'static str {
        "eiwo-ack"
    }

    fn describe(&self) -> &'static str {
        "e-IWO employer acknowledgment files (header, batches, ACK records, trailers)"
    }

    fn check<'a>(&'a self, bytes: &'a [u8]) -> Box<dyn Iterator<Item = RecordVerdict> + 'a> {
        Box::new(ivd_eiwo::acknowledgment_verdicts(bytes))
    }
}

/// How many bytes the format sniffing looks at.
const SNIFF: usize = 4096;

fn progress(total: Option<u64>, what: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = match total {
        Some(total) => ProgressBar::new(total).with_style(
            ProgressStyle::with_template(
                "{spinner} {msg} [{bar:40}] {pos}/{len} records ({per_sec}, eta {eta})",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        ),
        None => ProgressBar::new_spinner().with_style(
            ProgressStyle::with_template("{spinner} {msg} {pos} records ({per_sec})")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        ),
    };
    bar.set_message(what.to_string());
    bar
}

/// Opens `file` and works out its format: the one named, else sniffed from its start.
fn open(file: &Path, named: Option<&str>) -> Result<(Format, BufReader<File>), String> {
    let format =
        match named {
            Some(name) => Some(name.parse::<Format>().map_err(|_| {
                format!("Unknown new-hire format {name:?}: use w4, xx, csv or xml.")
            })?),
            None => None,
        };
    let mut handle =
        File::open(file).map_err(|e| format!("Cannot read {}: {e}", file.display()))?;
    let format = match format {
        Some(format) => format,
        None => {
            let mut prefix = Vec::with_capacity(SNIFF);
            (&mut handle)
                .take(SNIFF as u64)
                .read_to_end(&mut prefix)
                .map_err(|e| format!("Cannot read {}: {e}", file.display()))?;
            let format = Format::detect(&prefix).ok_or_else(|| {
                format!(
                    "Cannot tell the format of {}; name it with --format w4|xx|csv|xml.",
                    file.display()
                )
            })?;
            handle =
                File::open(file).map_err(|e| format!("Cannot read {}: {e}", file.display()))?;
            format
        }
    };
    Ok((format, BufReader::with_capacity(1 << 20, handle)))
}

fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}

/// `check newhire`; returns the exit status.
fn check(file: &Path, named: Option<&str>, json: bool) -> i32 {
    let (format, input) = match open(file, named) {
        Ok(opened) => opened,
        Err(message) => {
            eprintln!("{message}");
            return 2;
        }
    };
    let bar = progress(None, "checking");
    let verdicts = ivd_newhire::read_new_hires(format, input, &Rules::new(today()))
        .zip(1u64..)
        .map(|(outcome, n)| {
            if n % 4096 == 0 {
                bar.set_position(n);
            }
            outcome.verdict()
        });
    let status = print_verdicts(verdicts, json, Some(format.name()));
    bar.finish_and_clear();
    status
}

/// `convert newhire FILE --to FORMAT`: every valid record written in the other format on
/// stdout; invalid ones reported on stderr as `check --json` verdicts. Exit 0 all
/// converted, 1 some record invalid, 2 the file cannot be read or written.
fn convert(file: &Path, named: Option<&str>, to: &str) -> i32 {
    let Ok(target) = to.parse::<Format>() else {
        eprintln!("Unknown target format {to:?}: use w4, xx, csv or xml.");
        return 2;
    };
    let (format, input) = match open(file, named) {
        Ok(opened) => opened,
        Err(message) => {
            eprintln!("{message}");
            return 2;
        }
    };
    let stdout = std::io::stdout();
    let mut writer = ivd_newhire::write_new_hires(target, BufWriter::new(stdout.lock()));
    let bar = progress(None, "converting");
    let mut failed = 0u64;
    for (n, outcome) in ivd_newhire::read_new_hires(format, input, &Rules::new(today())).enumerate()
    {
        match (&outcome.new_hire, outcome.is_valid()) {
            (Some(new_hire), true) => {
                if let Err(error) = writer.push(new_hire) {
                    eprintln!(
                        "record {}: cannot be written as {}: {error}",
                        outcome.record,
                        target.name()
                    );
                    failed += 1;
                }
            }
            _ => {
                eprintln!("{}", outcome.verdict().to_json_line());
                failed += 1;
            }
        }
        if n % 4096 == 0 {
            bar.set_position(n as u64);
        }
    }
    bar.finish_and_clear();
    match writer.finish() {
        Ok(mut out) => {
            if out.flush().is_err() {
                return 2;
            }
        }
        Err(error) => {
            eprintln!("Cannot write the output: {error}");
            return 2;
        }
    }
    if failed > 0 { 1 } else { 0 }
}

/// `generate newhire`: a synthetic file of `records` reports (random people, valid in
/// form, never drawn from a real record), `invalid_rate` of them made invalid.
fn generate(
    records: u64,
    seed: u64,
    format: &str,
    invalid_rate: f64,
    fein: Option<&ivd_model::Fein>,
    output: Option<&Path>,
) -> i32 {
    let Ok(format) = format.parse::<Format>() else {
        eprintln!("Unknown format {format:?}: use w4, xx, csv or xml.");
        return 2;
    };
    if !(0.0..=1.0).contains(&invalid_rate) {
        eprintln!("--invalid-rate must be between 0 and 1.");
        return 2;
    }
    let out: Box<dyn Write> = match output {
        // Synthetic, but shaped like SSNs: owner-only like every file the gateway makes.
        Some(path) => match crate::privacy::files::private_options()
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)
        {
            Ok(file) => Box::new(BufWriter::with_capacity(1 << 20, file)),
            Err(error) => {
                eprintln!("Cannot create {}: {error}", path.display());
                return 2;
            }
        },
        None => Box::new(BufWriter::with_capacity(1 << 20, std::io::stdout())),
    };
    let bar = progress(Some(records), "generating");
    let mut generator = ivd_newhire::generate::Generator::new(seed, today());
    if let Some(fein) = fein {
        generator = generator.with_fein(fein.clone());
    }
    let summary = ivd_newhire::generate::write_file_with(
        generator,
        format,
        records,
        invalid_rate,
        out,
        |done| bar.set_position(done),
    );
    bar.finish_and_clear();
    match summary {
        Ok(summary) => {
            eprintln!(
                "{records} record(s) written ({}): {} valid, {} invalid.",
                format.name(),
                summary.valid,
                summary.invalid
            );
            0
        }
        Err(error) => {
            eprintln!("Cannot write the file: {error}");
            2
        }
    }
}
