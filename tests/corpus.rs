//! The bad-input corpus: every file under `tests/corpus/<format>/` is read by the real
//! parser — through the gateway's own `check` path where the gateway has one
//! ([`ivd_gateway::files::formats`], which also sniffs EBCDIC for the federal files) — and
//! what comes out must match, exactly, the verdicts listed beside the files in
//! `expected.toml`: how many records, how many accepted and rejected, how many records the
//! reader hands on (`flowed`: a bad record must not sink the good ones of its file), and
//! every error as `"<record> <field> <position> <code>"` (`-` where there is none).
//!
//! A file without an entry, or an entry without a file, fails the test, so the corpus
//! cannot rot silently. Every file is read under `catch_unwind`: a panic fails the test
//! and names the file. Very large inputs are generated here at run time rather than
//! committed.
//!
//! After a deliberate change of verdicts, `IVD_CORPUS_BLESS=1 cargo test --test corpus`
//! rewrites the `expected.toml` files from what the parsers now say; review the diff.

use std::collections::{BTreeMap, BTreeSet};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::Instant;

use figment::Figment;
use figment::providers::{Format as _, Toml};
use ivd_fixed::{Encoding, FieldError, RecordVerdict};
use ivd_gateway::files::formats;
use ivd_gateway::files::sniff_encoding;
use ivd_newhire::{Format, Rules};
use serde::Deserialize;

/// The day the new-hire rules are applied on (hire dates after it are in the future).
const RULES_DATE: time::Date = time::macros::date!(2026 - 03 - 20);

/// The formats of the corpus, one directory each.
const FORMATS: [&str; 11] = [
    "w4",
    "xx",
    "newhire-csv",
    "newhire-xml",
    "ndnh-return",
    "csenet",
    "icr",
    "eiwo",
    "offset",
    "fidm",
    "tribal",
];

/// What reading one file gave.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Observed {
    /// Verdicts (one per record the reader reports on).
    records: u64,
    /// Verdicts without errors.
    accepted: u64,
    /// Verdicts with errors.
    rejected: u64,
    /// Records the reader hands on to the gateway (reports, transactions, accounts…).
    flowed: u64,
    /// Every error, in order: `"<record> <field> <position> <code>"`.
    errors: Vec<String>,
    /// New-hire warnings (dropped optional data), same form; empty for other formats.
    #[serde(default)]
    warnings: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectedEntry {
    name: String,
    #[serde(flatten)]
    observed: Observed,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectedFile {
    file: Vec<ExpectedEntry>,
}

fn describe(record: Option<u64>, e: &FieldError) -> String {
    let record = record
        .or(e.record)
        .map_or("-".to_owned(), |r| r.to_string());
    let field = if e.field.is_empty() { "-" } else { &e.field };
    let position = e.position.map_or("-".to_owned(), |p| p.to_string());
    format!("{record} {field} {position} {}", e.code.as_str())
}

fn from_verdicts(verdicts: impl IntoIterator<Item = RecordVerdict>, flowed: usize) -> Observed {
    let mut o = Observed {
        records: 0,
        accepted: 0,
        rejected: 0,
        flowed: flowed as u64,
        errors: Vec::new(),
        warnings: Vec::new(),
    };
    for v in verdicts {
        o.records += 1;
        if v.is_valid() {
            o.accepted += 1;
        } else {
            o.rejected += 1;
        }
        o.errors
            .extend(v.errors.iter().map(|e| describe(Some(v.record), e)));
    }
    o
}

/// The gateway's `check FORMAT` verdicts.
fn gateway_check(name: &str, bytes: &[u8]) -> Vec<RecordVerdict> {
    let checker = formats()
        .into_iter()
        .find(|f| f.name() == name)
        .unwrap_or_else(|| panic!("the gateway has no check format {name}"));
    checker.check(bytes).collect()
}

fn newhire(format: Format, bytes: &[u8]) -> Observed {
    let mut verdicts = Vec::new();
    let mut warnings = Vec::new();
    let mut flowed = 0;
    for outcome in ivd_newhire::read_new_hires(format, bytes, &Rules::new(RULES_DATE)) {
        assert_eq!(
            outcome.new_hire.is_some(),
            outcome.errors.is_empty(),
            "record {}: a report is handed on exactly when the record has no error",
            outcome.record
        );
        flowed += usize::from(outcome.new_hire.is_some());
        warnings.extend(
            outcome
                .warnings
                .iter()
                .map(|w| describe(Some(outcome.record), w)),
        );
        verdicts.push(outcome.verdict());
    }
    Observed {
        warnings,
        ..from_verdicts(verdicts, flowed)
    }
}

/// An NDNH return file has no verdict per record: its control record is accepted when it
/// reads, each returned W4 echo flows on, and errors (file-level ones without a record)
/// reject the records they name.
fn ndnh_return(bytes: &[u8]) -> Observed {
    let r = ivd_newhire::ndnh::read_return(bytes, Encoding::Ascii);
    let rejected: BTreeSet<u64> = r.errors.iter().filter_map(|e| e.record).collect();
    let accepted = u64::from(r.control.is_some()) + r.returned.len() as u64;
    Observed {
        records: accepted + rejected.len() as u64,
        accepted,
        rejected: rejected.len() as u64,
        flowed: r.returned.len() as u64,
        errors: r.errors.iter().map(|e| describe(None, e)).collect(),
        warnings: Vec::new(),
    }
}

/// Reads one corpus file the way the gateway reads that format.
fn observe(format: &str, name: &str, bytes: &[u8]) -> Observed {
    let kind = name.split('-').next().unwrap_or_default();
    match format {
        "w4" => newhire(Format::W4, bytes),
        "xx" => newhire(Format::Xx, bytes),
        "newhire-csv" => newhire(Format::Csv, bytes),
        "newhire-xml" => newhire(Format::Xml, bytes),
        "ndnh-return" => ndnh_return(bytes),
        "csenet" => {
            let parsed = ivd_csenet::split_transactions(bytes)
                .filter(|t| ivd_csenet::Transaction::parse(t).is_ok())
                .count();
            from_verdicts(gateway_check("csenet", bytes), parsed)
        }
        "icr" => {
            let extract = ivd_csenet::icr::read_extract(bytes);
            from_verdicts(extract.verdicts, extract.records.len())
        }
        "eiwo" if kind == "iwo" => {
            let iwos = ivd_eiwo::read_iwo_file(bytes).iwos().count();
            from_verdicts(ivd_eiwo::iwo_verdicts(bytes), iwos)
        }
        "eiwo" if kind == "ack" => {
            let acks = ivd_eiwo::read_acknowledgments(bytes).acknowledgments.len();
            from_verdicts(gateway_check("eiwo-ack", bytes), acks)
        }
        "offset" => {
            let encoding = sniff_encoding(bytes);
            let flowed = match kind {
                "submission" => ivd_offset::read_submission_file(bytes, encoding)
                    .submissions
                    .len(),
                "rejects" => ivd_offset::read_rejects(bytes, encoding).rejects.len(),
                "collections" => ivd_offset::read_collections(bytes, encoding)
                    .collections
                    .len(),
                "reconciliation" => ivd_offset::read_reconciliation(bytes, encoding)
                    .records
                    .len(),
                _ => panic!("offset corpus file {name} does not start with its kind"),
            };
            from_verdicts(gateway_check(&format!("offset-{kind}"), bytes), flowed)
        }
        "fidm" => {
            let encoding = sniff_encoding(bytes);
            let flowed = match kind {
                "accounts" => ivd_fidm::read_accounts(bytes, encoding)
                    .filter(|o| o.account.is_some())
                    .count(),
                "inquiry" => ivd_fidm::read_inquiry_file(bytes, encoding).inquiries.len(),
                "matches" => ivd_fidm::read_match_file(bytes, encoding).matches.len(),
                _ => panic!("fidm corpus file {name} does not start with its kind"),
            };
            from_verdicts(gateway_check(&format!("fidm-{kind}"), bytes), flowed)
        }
        "tribal" => {
            let parsed = usize::from(ivd_tribal::read_message(bytes).is_ok());
            from_verdicts(gateway_check("tribal", bytes), parsed)
        }
        _ => panic!("no reader for corpus format {format} (file {name})"),
    }
}

fn corpus_dir(format: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/corpus")
        .join(format)
}

fn corpus_files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.file_name().is_some_and(|n| n != "expected.toml"))
        .map(|path| {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .expect("corpus file names are UTF-8")
                .to_owned();
            let bytes = std::fs::read(&path).expect("a corpus file reads");
            (name, bytes)
        })
        .collect()
}

fn quoted_list(items: &[String]) -> String {
    if items.is_empty() {
        return "[]".to_owned();
    }
    let lines: Vec<String> = items.iter().map(|i| format!("  {i:?},")).collect();
    format!("[\n{}\n]", lines.join("\n"))
}

/// The `expected.toml` text for what was observed (bless mode).
fn render_expected(format: &str, observed: &BTreeMap<String, Observed>) -> String {
    let mut out = format!(
        "# Expected verdicts for tests/corpus/{format}/, checked exactly by tests/corpus.rs.\n\
         # errors: \"<record> <field> <position> <code>\" (\"-\" where there is none).\n"
    );
    for (name, o) in observed {
        out.push_str(&format!(
            "\n[[file]]\nname = {name:?}\nrecords = {}\naccepted = {}\nrejected = {}\nflowed = {}\nerrors = {}\n",
            o.records,
            o.accepted,
            o.rejected,
            o.flowed,
            quoted_list(&o.errors)
        ));
        if !o.warnings.is_empty() {
            out.push_str(&format!("warnings = {}\n", quoted_list(&o.warnings)));
        }
    }
    out
}

fn read_expected(path: &Path) -> BTreeMap<String, Observed> {
    let parsed: ExpectedFile = Figment::from(Toml::file_exact(path))
        .extract()
        .unwrap_or_else(|e| panic!("{} does not read: {e}", path.display()));
    let mut expected = BTreeMap::new();
    for entry in parsed.file {
        let name = entry.name.clone();
        assert!(
            expected.insert(entry.name, entry.observed).is_none(),
            "{} lists {name} twice",
            path.display()
        );
    }
    expected
}

#[test]
fn every_corpus_file_gets_exactly_its_expected_verdicts() {
    let bless = std::env::var_os("IVD_CORPUS_BLESS").is_some();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let directories: BTreeSet<String> = std::fs::read_dir(&root)
        .expect("tests/corpus lists")
        .map(|e| e.expect("a directory entry").file_name())
        .map(|n| {
            n.into_string()
                .expect("format directories are named in UTF-8")
        })
        .collect();
    assert_eq!(
        directories,
        FORMATS
            .iter()
            .map(|f| f.to_string())
            .collect::<BTreeSet<_>>(),
        "every directory of tests/corpus is a format this test reads, and every format has one"
    );
    let mut failures = Vec::new();
    let mut files_read = 0;
    for format in FORMATS {
        let dir = corpus_dir(format);
        let files = corpus_files(&dir);
        assert!(!files.is_empty(), "{} holds no corpus files", dir.display());
        let mut observed = BTreeMap::new();
        for (name, bytes) in &files {
            files_read += 1;
            match catch_unwind(AssertUnwindSafe(|| observe(format, name, bytes))) {
                Ok(o) => {
                    if name.contains("mixed") && (o.flowed == 0 || o.rejected == 0) {
                        failures.push(format!(
                            "{format}/{name}: a mixed file must reject its bad record and \
                             still hand on its good ones (flowed {}, rejected {})",
                            o.flowed, o.rejected
                        ));
                    }
                    observed.insert(name.clone(), o);
                }
                Err(_) => failures.push(format!("{format}/{name}: the reader panicked")),
            }
        }
        let expected_path = dir.join("expected.toml");
        if bless {
            std::fs::write(&expected_path, render_expected(format, &observed))
                .expect("expected.toml writes");
            continue;
        }
        let expected = read_expected(&expected_path);
        for name in expected.keys() {
            if !files.contains_key(name) {
                failures.push(format!(
                    "{format}/expected.toml lists {name}, which is not in the directory"
                ));
            }
        }
        for (name, got) in &observed {
            match expected.get(name) {
                None => failures.push(format!(
                    "{format}/{name} has no entry in expected.toml (every corpus file needs its verdicts)"
                )),
                Some(want) if want != got => failures.push(format!(
                    "{format}/{name}:\n  expected {want:?}\n  got      {got:?}"
                )),
                Some(_) => {}
            }
        }
    }
    assert!(
        files_read >= 100,
        "only {files_read} corpus files were read"
    );
    assert!(
        failures.is_empty(),
        "{} corpus problem(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn an_unlisted_corpus_file_is_caught() {
    // The check the main test relies on, shown on a listing that lacks one file.
    let dir = corpus_dir("w4");
    let files = corpus_files(&dir);
    let mut expected = read_expected(&dir.join("expected.toml"));
    let dropped = expected
        .keys()
        .next()
        .cloned()
        .expect("the w4 corpus lists files");
    expected.remove(&dropped);
    let unlisted: Vec<_> = files
        .keys()
        .filter(|n| !expected.contains_key(*n))
        .collect();
    assert_eq!(unlisted, vec![&dropped]);
}

// ---------------------------------------------------------------------------------------
// Very large inputs, made here at run time (nothing big is committed).

/// Reads one large input and prints how long it took (for a human reading the output:
/// speed is measured in BENCHMARKS.md, never asserted in a test).
fn timed<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    eprintln!("{what}: read in {:?}", start.elapsed());
    out
}

fn sample(path: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn first_record(sample_bytes: &[u8]) -> Vec<u8> {
    let end = sample_bytes
        .iter()
        .position(|b| *b == b'\n')
        .unwrap_or(sample_bytes.len());
    let line = &sample_bytes[..end];
    line.strip_suffix(b"\r").unwrap_or(line).to_vec()
}

#[test]
fn a_large_w4_file_with_one_bad_record_hands_on_every_good_one() {
    const GOOD: usize = 10_000;
    let record = first_record(&sample("adapters/newhire/samples/valid.w4"));
    let mut bad = record.clone();
    bad[2..11].copy_from_slice(b"666123456");
    let mut file = Vec::with_capacity((GOOD + 1) * (record.len() + 2));
    for i in 0..=GOOD {
        file.extend_from_slice(if i == GOOD / 2 { &bad } else { &record });
        file.extend_from_slice(b"\r\n");
    }
    let o = timed("a 10,001-record W4 file", || newhire(Format::W4, &file));
    assert_eq!(
        (o.records, o.accepted, o.rejected),
        (GOOD as u64 + 1, GOOD as u64, 1)
    );
    assert_eq!(o.flowed, GOOD as u64);
    let bad_number = GOOD / 2 + 1;
    assert!(
        o.errors
            .iter()
            .all(|e| e.starts_with(&format!("{bad_number} employee_ssn "))),
        "{:?}",
        o.errors
    );
}

/// 8 MiB of digits with no line end, in every format: refused whole, quickly, without a
/// panic. Fixed-width readers may take it as back-to-back records (federal files come
/// that way), so it may be many verdicts, but none may pass and nothing may flow on.
#[test]
fn one_huge_line_is_refused_in_every_format() {
    let line = vec![b'7'; 8 << 20];
    for (format, name) in [
        ("w4", "huge"),
        ("xx", "huge"),
        ("newhire-csv", "huge"),
        ("newhire-xml", "huge"),
        ("csenet", "huge"),
        ("icr", "huge"),
        ("ndnh-return", "huge"),
        ("tribal", "huge"),
        ("offset", "submission-huge"),
        ("offset", "rejects-huge"),
        ("offset", "collections-huge"),
        ("offset", "reconciliation-huge"),
        ("fidm", "accounts-huge"),
        ("fidm", "inquiry-huge"),
        ("fidm", "matches-huge"),
        ("eiwo", "iwo-huge"),
        ("eiwo", "ack-huge"),
    ] {
        let o = timed(name, || observe(format, name, &line));
        assert_eq!(o.flowed, 0, "{format}/{name}: {o:?}");
        assert!(o.rejected >= 1, "{format}/{name}: nothing refused");
        if format != "ndnh-return" {
            assert_eq!(o.accepted, 0, "{format}/{name}: a record of digits passed");
        }
    }
}

/// An 8 MiB first line in the line-framed formats that do not take records back to back:
/// that line is refused, and the records after it are still read.
#[test]
fn an_overlong_line_costs_one_record_in_the_line_formats() {
    let batch = sample("adapters/csenet/samples/incoming-batch.txt");
    let mut file = vec![b'7'; 8 << 20];
    file.push(b'\n');
    file.extend_from_slice(&batch);
    let o = timed("CSENet batch after an 8 MiB line", || {
        observe("csenet", "huge-first", &file)
    });
    assert_eq!((o.records, o.accepted, o.rejected), (5, 4, 1), "{o:?}");
    assert!(
        o.errors.iter().all(|e| e.starts_with("1 ")),
        "{:?}",
        o.errors
    );

    let csv = sample("adapters/newhire/samples/valid.csv");
    let header_end = csv.iter().position(|b| *b == b'\n').expect("a header line") + 1;
    let mut file = csv[..header_end].to_vec();
    file.extend(std::iter::repeat_n(b'7', 8 << 20));
    file.push(b'\n');
    file.extend_from_slice(&csv[header_end..]);
    let o = timed("CSV rows after an 8 MiB row", || {
        newhire(Format::Csv, &file)
    });
    assert_eq!(o.flowed, 0, "{o:?}");
    assert!(o.rejected >= 1, "{o:?}");
}

#[test]
fn a_huge_xml_text_or_document_is_refused_without_reading_it_all_into_values() {
    let xml = sample("adapters/newhire/samples/valid.xml");
    let text = String::from_utf8(xml).expect("the sample is UTF-8");
    let huge_name = "A".repeat(8 << 20);
    let bloated = text.replacen("TRIANGLE WIDGETS INC", &huge_name, 1);
    let o = timed("new-hire XML with an 8 MiB name", || {
        newhire(Format::Xml, bloated.as_bytes())
    });
    assert_eq!(o.flowed, 0, "{o:?}");
    assert!(o.rejected >= 1, "{o:?}");

    let tribal = String::from_utf8(sample("adapters/tribal/samples/csi-request.xml"))
        .expect("the sample is UTF-8");
    let padded = tribal.replacen(
        "<TribeCode>",
        &format!("<!--{}--><TribeCode>", " ".repeat(ivd_tribal::MAX_DOCUMENT)),
        1,
    );
    let o = timed("a Tribal document over the size limit", || {
        observe("tribal", "huge", padded.as_bytes())
    });
    assert_eq!((o.flowed, o.rejected), (0, 1), "{o:?}");

    let deep = format!(
        "{}{}",
        "<a>".repeat(ivd_tribal::MAX_DEPTH * 4),
        "</a>".repeat(ivd_tribal::MAX_DEPTH * 4)
    );
    let o = timed("a Tribal document nested too deep", || {
        observe("tribal", "deep", deep.as_bytes())
    });
    assert_eq!((o.flowed, o.rejected), (0, 1), "{o:?}");
}

#[test]
fn a_large_federal_file_in_ebcdic_reads_every_record() {
    const RECORDS: usize = 20_000;
    // FIDM Method 1: A record, RECORDS copies of one B record, T record counting them.
    let text = sample("adapters/fidm/samples/all-accounts.txt");
    let lines: Vec<&[u8]> = text
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    let mut file = lines[0].to_vec();
    for _ in 0..RECORDS {
        file.extend_from_slice(lines[1]);
    }
    let trailer = format!("T{RECORDS:08}");
    let mut t = lines[lines.len() - 1].to_vec();
    t[..trailer.len()].copy_from_slice(trailer.as_bytes());
    file.extend_from_slice(&t);
    let ebcdic = Encoding::Ebcdic037.encode(&file).into_owned();
    let o = timed("a 20,002-record EBCDIC FIDM file", || {
        observe("fidm", "accounts-large", &ebcdic)
    });
    assert_eq!(
        o.flowed,
        RECORDS as u64,
        "{:?}",
        &o.errors[..o.errors.len().min(5)]
    );
    assert_eq!(o.rejected, 0, "{:?}", &o.errors[..o.errors.len().min(5)]);
}
