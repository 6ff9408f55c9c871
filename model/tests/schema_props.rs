//! Property: every generated valid case, as serde writes it, matches the JSON Schema.
#![cfg(feature = "proptest-support")]

use proptest::prelude::*;
use serde_json::Value;
use std::path::Path;

fn validator() -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas/case.schema.json");
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    jsonschema::draft202012::new(&schema).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]
    #[test]
    fn generated_cases_match_the_schema(case in ivd_model::testing::case()) {
        let v = validator();
        let json = serde_json::to_value(&case).unwrap();
        let errors: Vec<String> = v.iter_errors(&json).map(|e| format!("{} at {}", e, e.instance_path())).collect();
        prop_assert!(errors.is_empty(), "{:?}", errors);
        let redacted = serde_json::to_value(case.redacted_for_disclosure()).unwrap();
        prop_assert!(v.is_valid(&redacted));
    }
}
