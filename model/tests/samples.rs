//! Every committed sample in `schemas/samples/case-*.json` parses, validates, round-trips,
//! and matches `schemas/case.schema.json`; the schema also rejects what serde rejects.

use ivd_model::Case;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn schemas_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas")
}

fn samples() -> Vec<(String, String)> {
    let mut out: Vec<_> = std::fs::read_dir(schemas_dir().join("samples"))
        .expect("schemas/samples exists")
        .map(|e| e.expect("readable dir entry").path())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            name.starts_with("case-") && name.ends_with(".json")
        })
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("readable sample");
            (p.file_name().unwrap().to_string_lossy().into_owned(), text)
        })
        .collect();
    out.sort();
    out
}

fn validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(schemas_dir().join("case.schema.json")).unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    jsonschema::draft202012::new(&schema).expect("the schema compiles")
}

#[test]
fn the_three_samples_exist() {
    let names: Vec<_> = samples().into_iter().map(|(n, _)| n).collect();
    for want in ["case-protected.json", "case-tanf.json", "case-tribal.json"] {
        assert!(names.iter().any(|n| n == want), "missing {want}");
    }
}

#[test]
fn every_sample_parses_validates_and_roundtrips() {
    for (name, text) in samples() {
        let case: Case = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        case.validate().unwrap_or_else(|e| panic!("{name}: {e:?}"));
        let json = serde_json::to_string_pretty(&case).unwrap();
        let again: Case = serde_json::from_str(&json).unwrap();
        assert_eq!(again, case, "{name} round trip");
        // Serializing is stable: a second write gives the same bytes.
        assert_eq!(
            serde_json::to_string_pretty(&again).unwrap(),
            json,
            "{name}"
        );
    }
}

#[test]
fn every_sample_and_its_serialization_match_the_schema() {
    let v = validator();
    for (name, text) in samples() {
        let raw: Value = serde_json::from_str(&text).unwrap();
        let errors: Vec<_> = v.iter_errors(&raw).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{name}: {errors:?}");
        let case: Case = serde_json::from_str(&text).unwrap();
        let written = serde_json::to_value(&case).unwrap();
        assert!(v.is_valid(&written), "{name} as written by serde");
        let redacted = serde_json::to_value(case.redacted_for_disclosure()).unwrap();
        assert!(v.is_valid(&redacted), "{name} redacted");
    }
}

#[test]
fn the_protected_sample_is_protected() {
    let text = std::fs::read_to_string(schemas_dir().join("samples/case-protected.json")).unwrap();
    let case: Case = serde_json::from_str(&text).unwrap();
    assert!(case.nondisclosure_finding);
    assert!(case.participants.iter().any(|p| p.person.is_protected()));
    let out = serde_json::to_string(&case.redacted_for_disclosure()).unwrap();
    assert!(!out.contains("HIDDEN WAY"));
}

/// The schema and serde agree on what is rejected, for a list of single-field mutations.
#[test]
fn schema_and_serde_reject_the_same_bad_values() {
    let v = validator();
    let base: Value =
        serde_json::from_str(include_str!("../../schemas/samples/case-tanf.json")).unwrap();
    let ssn = "/participants/0/person/ssn";
    let cases: Vec<(&str, Value)> = vec![
        (ssn, "666-45-6789".into()),
        (ssn, "000-45-6789".into()),
        (ssn, "912-45-6789".into()),
        (ssn, "123-00-6789".into()),
        (ssn, "123-45-0000".into()),
        (ssn, "123-456789".into()),
        (ssn, "12345678".into()),
        (ssn, 123456789.into()),
        (
            "/participants/1/person/employers/0/fein",
            "07-1234567".into(),
        ),
        (
            "/participants/1/person/employers/0/fein",
            "41-123456".into(),
        ),
        ("/county", "0312300".into()),
        ("/county", "271230".into()),
        ("/id", "mn-1".into()),
        ("/id", "MN-0000000000001".into()),
        ("/id", "MN*1".into()),
        ("/orders/0/obligations/0/amount", 450.into()),
        ("/orders/0/obligations/0/amount", "450.001".into()),
        ("/orders/0/obligations/0/amount", "+450".into()),
        ("/orders/0/obligations/0/frequency", "M".into()),
        ("/caseType", "TANF".into()),
        ("/openedOn", "2024-6-1".into()),
        ("/participants/0/person/addresses/0/state", "XX".into()),
        ("/participants/0/person/addresses/0/zip", "5510".into()),
        (
            "/participants/0/person/phones/0/number",
            "112-555-0101".into(),
        ),
        ("/participants/0/person/emails/0", "not-an-email".into()),
        (
            "/participants/0/person/familyViolence",
            serde_json::json!({"code": "X"}),
        ),
        (
            "/orders/0/issuingJurisdiction",
            serde_json::json!({"kind": "state", "tribe": "T0123"}),
        ),
        ("/participants/0/person/nickname", "X".into()),
    ];
    for (pointer, value) in cases {
        let mut doc = base.clone();
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        match doc.pointer_mut(parent).unwrap() {
            Value::Object(m) => {
                m.insert(key.to_owned(), value.clone());
            }
            Value::Array(a) => a[key.parse::<usize>().unwrap()] = value.clone(),
            _ => unreachable!(),
        }
        assert!(
            serde_json::from_value::<Case>(doc.clone()).is_err(),
            "serde accepted {pointer} = {value}"
        );
        assert!(!v.is_valid(&doc), "schema accepted {pointer} = {value}");
    }
    // And both accept the alternative spellings the parsers allow.
    for (pointer, value) in [
        (ssn, Value::from("123456789")),
        (
            "/participants/1/person/employers/0/fein",
            "411234567".into(),
        ),
        ("/orders/0/obligations/0/amount", "450".into()),
        ("/orders/0/obligations/0/amount", "-0.5".into()),
        ("/participants/0/person/addresses/0/zip", "551010001".into()),
        (
            "/participants/0/person/phones/0/number",
            "(612) 555-0101".into(),
        ),
    ] {
        let mut doc = base.clone();
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        doc.pointer_mut(parent)
            .unwrap()
            .as_object_mut()
            .unwrap()
            .insert(key.to_owned(), value.clone());
        assert!(
            serde_json::from_value::<Case>(doc.clone()).is_ok(),
            "serde rejected {pointer} = {value}"
        );
        assert!(v.is_valid(&doc), "schema rejected {pointer} = {value}");
    }
}
