//! The committed samples: how they are made, and that each reads as expected.
//!
//! Regenerate with `cargo test -p ivd-newhire --test samples -- --ignored regenerate`
//! (deterministic: the same bytes every time).

use std::path::{Path, PathBuf};

use ivd_newhire::generate::Generator;
use ivd_newhire::{
    FORMATS, Format, NewHire, Rules, new_hire_verdicts, read_new_hires, write_new_hires,
};
use time::Date;
use time::macros::date;

const TODAY: Date = date!(2026 - 03 - 20);

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples")
}

fn sample(name: &str) -> Vec<u8> {
    std::fs::read(dir().join(name)).expect("sample exists")
}

fn hires(n: usize) -> Vec<NewHire> {
    let mut g = Generator::new(20260320, TODAY);
    (0..n).map(|_| g.new_hire()).collect()
}

fn write_all(format: Format, hires: &[NewHire]) -> Vec<u8> {
    let mut w = write_new_hires(format, Vec::new());
    for h in hires {
        w.push(h).expect("writes");
    }
    w.finish().expect("finishes")
}

/// Puts `value` at 1-based `pos` of the `n`-th (1-based) record of an 801-byte CRLF file.
fn patch(file: &mut [u8], n: usize, pos: usize, value: &[u8]) {
    let at = (n - 1) * 803 + pos - 1;
    file[at..at + value.len()].copy_from_slice(value);
}

fn mixed_w4() -> Vec<u8> {
    let mut file = write_all(Format::W4, &hires(8));
    patch(&mut file, 2, 3, b"666"); // SSN area never issued
    patch(&mut file, 4, 290, b"07"); // FEIN prefix never issued
    patch(&mut file, 5, 280, b"20261231"); // hire date too far in the future
    patch(&mut file, 6, 272, b"20250231"); // impossible DOB: warning, record still valid
    patch(&mut file, 7, 12, b"                "); // first name blank...
    patch(&mut file, 7, 44, b"                              "); // ...and last name blank
    // Record 8 is cut short: a line of the wrong length.
    let at = 7 * 803 + 400;
    file.splice(at..at + 401, std::iter::empty());
    file
}

#[test]
#[ignore = "writes the committed samples"]
fn regenerate() {
    let h = hires(4);
    std::fs::write(dir().join("valid.w4"), write_all(Format::W4, &h)).unwrap();
    std::fs::write(dir().join("valid.xx"), write_all(Format::Xx, &h)).unwrap();
    std::fs::write(dir().join("valid.csv"), write_all(Format::Csv, &h)).unwrap();
    std::fs::write(dir().join("valid.xml"), write_all(Format::Xml, &h)).unwrap();
    std::fs::write(dir().join("mixed.w4"), mixed_w4()).unwrap();
    let lines: String = read_new_hires(Format::W4, &mixed_w4()[..], &Rules::new(TODAY))
        .map(|o| o.verdict().to_json_line() + "\n")
        .collect();
    std::fs::write(dir().join("mixed.w4.verdicts.jsonl"), lines).unwrap();
}

#[test]
fn samples_are_what_the_generator_makes() {
    let h = hires(4);
    for (format, name) in [
        (Format::W4, "valid.w4"),
        (Format::Xx, "valid.xx"),
        (Format::Csv, "valid.csv"),
        (Format::Xml, "valid.xml"),
    ] {
        assert_eq!(sample(name), write_all(format, &h), "{name}");
    }
    assert_eq!(sample("mixed.w4"), mixed_w4());
}

#[test]
fn every_valid_sample_reads_valid_and_writes_back_byte_identical() {
    let rules = Rules::new(TODAY);
    for format in FORMATS {
        let name = format!("valid.{}", format.name());
        let bytes = sample(&name);
        assert_eq!(Format::detect(&bytes), Some(format), "{name}");
        let outcomes: Vec<_> = read_new_hires(format, &bytes[..], &rules).collect();
        assert_eq!(outcomes.len(), 4, "{name}");
        let mut back = write_new_hires(format, Vec::new());
        for (i, o) in outcomes.iter().enumerate() {
            assert_eq!(o.record, i as u64 + 1);
            assert!(o.is_valid(), "{name}: {}", o.verdict());
            assert!(o.warnings.is_empty(), "{name}: {:?}", o.warnings);
            back.push(o.new_hire.as_ref().unwrap()).unwrap();
        }
        assert_eq!(back.finish().unwrap(), bytes, "{name} round trip");
    }
}

#[test]
fn the_mixed_sample_gives_the_committed_verdicts() {
    let expected = String::from_utf8(sample("mixed.w4.verdicts.jsonl")).unwrap();
    let got: Vec<String> = read_new_hires(Format::W4, &sample("mixed.w4")[..], &Rules::new(TODAY))
        .map(|o| o.verdict().to_json_line())
        .collect();
    assert_eq!(got, expected.lines().collect::<Vec<_>>());
    let verdicts: Vec<String> =
        new_hire_verdicts(Format::W4, &sample("mixed.w4")[..], &Rules::new(TODAY))
            .map(|v| v.to_json_line())
            .collect();
    assert_eq!(
        verdicts, got,
        "new_hire_verdicts gives the outcomes' verdicts"
    );
    // And what they say, spelled out.
    let outcomes: Vec<_> =
        read_new_hires(Format::W4, &sample("mixed.w4")[..], &Rules::new(TODAY)).collect();
    let codes: Vec<Vec<&str>> = outcomes
        .iter()
        .map(|o| o.errors.iter().map(|e| e.code.as_str()).collect())
        .collect();
    assert_eq!(
        codes,
        vec![
            vec![],
            vec!["SSN_AREA"],
            vec![],
            vec!["FEIN_PREFIX"],
            vec!["HIRE_DATE_FUTURE"],
            vec![],
            vec!["NAME_BLANK"],
            vec!["LENGTH"],
        ]
    );
    assert_eq!(outcomes[5].warnings[0].code.as_str(), "DOB_INVALID");
    assert!(
        outcomes[5]
            .new_hire
            .as_ref()
            .unwrap()
            .employee
            .birth_date
            .is_none()
    );
}

#[test]
fn the_xml_sample_and_writer_output_validate_against_the_schema() {
    let schema = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas/new-hire.xsd");
    let generated = std::env::temp_dir().join(format!("ivd-newhire-{}.xml", std::process::id()));
    let mut many = Generator::new(7, TODAY);
    let hires: Vec<NewHire> = (0..60).map(|_| many.new_hire()).collect();
    std::fs::write(&generated, write_all(Format::Xml, &hires)).unwrap();
    let empty = std::env::temp_dir().join(format!("ivd-newhire-empty-{}.xml", std::process::id()));
    std::fs::write(&empty, write_all(Format::Xml, &[])).unwrap();
    for file in [dir().join("valid.xml"), generated.clone(), empty.clone()] {
        let out = std::process::Command::new("xmllint")
            .arg("--noout")
            .arg("--schema")
            .arg(&schema)
            .arg(&file)
            .output()
            .expect("xmllint is installed");
        assert!(
            out.status.success(),
            "{}: {}",
            file.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let _ = std::fs::remove_file(generated);
    let _ = std::fs::remove_file(empty);
}
