//! The JSON form (crate docs, *JSON form*): every committed sample transaction parses,
//! serializes to JSON, deserializes back equal and writes byte for byte; the form's rules
//! (camelCase, codes as strings, ISO dates, `Money` amounts, blanks left out, unknown
//! fields refused) hold; the canonical view serializes.

use std::path::PathBuf;

use ivd_csenet::{HeaderKind, Transaction, split_transactions, translate};
use serde_json::Value;

fn samples() -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("samples");
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .expect("samples directory")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .filter(|p| !p.ends_with("server-errors.txt"))
        // ICR extracts are not CSENet transactions (see `icr`'s own tests).
        .filter(|p| {
            !p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("icr-"))
        })
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).expect("sample readable"))
        })
        .collect();
    files.sort();
    files
}

/// Every record of every sample (but the one deliberately invalid record), with its
/// file name and number.
fn records() -> Vec<(String, usize, Vec<u8>)> {
    let mut out = Vec::new();
    for (name, bytes) in samples() {
        for (n, record) in split_transactions(&bytes).enumerate() {
            if name == "check-one-invalid.txt" && n + 1 == 3 {
                assert!(
                    Transaction::parse(record).is_err(),
                    "record 3 is the bad one"
                );
                continue;
            }
            out.push((name.clone(), n + 1, record.to_vec()));
        }
    }
    out
}

#[test]
fn every_sample_transaction_round_trips_through_json_byte_for_byte() {
    let records = records();
    // 12 sample files: 19 transactions and the one invalid record.
    assert_eq!(records.len(), 19);
    let (mut outbound, mut inbound) = (0, 0);
    for (name, n, record) in &records {
        let t =
            Transaction::parse(record).unwrap_or_else(|e| panic!("{name} record {n}: {}", e[0]));
        let json = serde_json::to_string(&t).expect("serializes");
        let back: Transaction =
            serde_json::from_str(&json).unwrap_or_else(|e| panic!("{name} record {n}: {e}"));
        assert_eq!(back, t, "{name} record {n}");
        let kind = back.header_kind();
        match kind {
            HeaderKind::Outbound => outbound += 1,
            HeaderKind::Inbound => inbound += 1,
        }
        let written = back
            .write(kind)
            .unwrap_or_else(|e| panic!("{name} record {n}: {}", e[0]));
        assert!(written == *record, "{name} record {n}: bytes differ");
    }
    assert!(
        outbound > 0 && inbound > 0,
        "{outbound} outbound, {inbound} inbound"
    );
}

fn first_record(file: &str) -> Transaction {
    let bytes = std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("samples")
            .join(file),
    )
    .expect("sample");
    let record = split_transactions(&bytes).next().expect("a record");
    Transaction::parse(record).expect("valid")
}

fn all_keys(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                out.push(k.clone());
                all_keys(v, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| all_keys(v, out)),
        _ => {}
    }
}

#[test]
fn the_json_form_uses_camel_case_codes_iso_dates_and_money_strings() {
    let t = first_record("col-tax-offset-inbound.txt");
    let v = serde_json::to_value(&t).unwrap();
    assert_eq!(v["header"]["function"], "COL");
    assert_eq!(v["header"]["action"], "P");
    assert_eq!(v["header"]["tail"]["kind"], "inbound");
    let date = v["header"]["transactionDate"].as_str().unwrap();
    assert!(
        date.len() == 10 && date.as_bytes()[4] == b'-' && date.as_bytes()[7] == b'-',
        "{date}"
    );
    assert!(v["header"]["localFips"]["state"].is_string());
    let collection = &v["collections"][0];
    let amount = collection["paymentAmount"]
        .as_str()
        .expect("a Money string");
    assert!(amount.contains('.'), "{amount}");
    assert_eq!(
        ivd_model::Money::parse(amount).unwrap().cents(),
        t.collections[0].payment_amount.unwrap()
    );
    let mut keys = Vec::new();
    all_keys(&v, &mut keys);
    for k in &keys {
        assert!(!k.contains('_') && !k.contains('-'), "{k} is not camelCase");
    }
    // Blank values are left out, never written as "" or null.
    let text = serde_json::to_string(&t).unwrap();
    assert!(!text.contains("\"\"") && !text.contains("null"), "{text}");

    let out = first_record("lo1-request-outbound.txt");
    let v = serde_json::to_value(&out).unwrap();
    assert_eq!(v["header"]["tail"]["kind"], "outbound");
}

#[test]
fn unknown_fields_are_refused_and_errors_do_not_quote_values() {
    let t = first_record("lo1-response-inbound.txt");
    let mut v = serde_json::to_value(&t).unwrap();
    v["header"]["surprise"] = Value::from(1);
    let e = serde_json::from_value::<Transaction>(v).unwrap_err();
    assert!(e.to_string().contains("unknown field"), "{e}");

    let mut v = serde_json::to_value(&t).unwrap();
    v["ncpIdentification"]["nameLastX"] = Value::from("x");
    assert!(serde_json::from_value::<Transaction>(v).is_err());

    let mut v = serde_json::to_value(&t).unwrap();
    v["header"]["transactionDate"] = Value::from("123-45-6789");
    let e = serde_json::from_value::<Transaction>(v).unwrap_err();
    assert!(!e.to_string().contains("6789"), "{e}");

    let mut v = serde_json::to_value(&t).unwrap();
    v["header"]["tail"]["kind"] = Value::from("sideways");
    assert!(serde_json::from_value::<Transaction>(v).is_err());
}

#[test]
fn a_missing_field_reads_as_blank_and_the_tail_kind_decides_the_header() {
    let t = first_record("lo1-response-inbound.txt");
    let mut v = serde_json::to_value(&t).unwrap();
    v["header"]["tail"] = serde_json::json!({"kind": "outbound"});
    let out: Transaction = serde_json::from_value(v).unwrap();
    assert_eq!(out.header_kind(), HeaderKind::Outbound);
    let bytes = out.write(out.header_kind()).unwrap();
    assert_eq!(
        Transaction::parse(&bytes).unwrap().header_kind(),
        HeaderKind::Outbound
    );
}

#[test]
fn the_canonical_view_serializes_in_camel_case() {
    let t = first_record("lo1-response-inbound.txt");
    let case = translate::to_model(&t).expect("translates");
    let v = serde_json::to_value(&case).unwrap();
    assert_eq!(v["function"], "LO1");
    assert!(v["ourFips"].is_object());
    assert!(v["serialNumber"].is_u64());
    assert!(v["transactionDate"].is_string());
    let mut keys = Vec::new();
    all_keys(&v, &mut keys);
    for k in &keys {
        assert!(!k.contains('_'), "{k} is not camelCase");
    }
}
