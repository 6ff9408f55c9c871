//! The Tribal case-exchange XML document for `check` and `convert`.

use std::io::Write;
use std::path::Path;

use ivd_fixed::RecordVerdict;

use crate::files::{FileFormat, FileOptions, read_file};

/// A Tribal case-exchange document (`schemas/tribal-exchange.xsd`): one verdict for the
/// document, errors named by element path.
#[derive(Debug)]
pub struct TribalExchange;

impl FileFormat for TribalExchange {
    fn name(&self) -> &'static str {
        "tribal"
    }

    fn describe(&self) -> &'static str {
        "Tribal case-exchange XML document (request, response or acknowledgment)"
    }

    fn check<'a>(&'a self, bytes: &'a [u8]) -> Box<dyn Iterator<Item = RecordVerdict> + 'a> {
        Box::new(ivd_tribal::message_verdicts(bytes))
    }

    fn converts(&self) -> bool {
        true
    }

    fn convert_file(&self, file: &Path, options: &FileOptions) -> i32 {
        convert(file, options.from_json)
    }
}

/// `convert tribal FILE`: the document as one JSON object; with `from_json`, a JSON object
/// (as printed) written back as the XML document (redacted, checked against the reader).
/// Exit 0 converted, 1 invalid, 2 unreadable.
fn convert(file: &Path, from_json: bool) -> i32 {
    let Some(bytes) = read_file(file) else {
        return 2;
    };
    let result: Result<Vec<u8>, String> = if from_json {
        match ivd_tribal::from_json(&String::from_utf8_lossy(&bytes)) {
            Ok(message) => ivd_tribal::write_message(&message).map_err(|e| format!("{e:?}")),
            Err(error) => Err(format!(
                "not a Tribal exchange message in JSON: line {}, column {}",
                error.line(),
                error.column()
            )),
        }
    } else {
        match ivd_tribal::read_message(&bytes) {
            Ok(message) => ivd_tribal::to_json(&message)
                .map(|mut json| {
                    json.push('\n');
                    json.into_bytes()
                })
                .map_err(|e| e.to_string()),
            Err(_) => {
                for verdict in ivd_tribal::message_verdicts(&bytes) {
                    eprintln!("{}", verdict.to_json_line());
                }
                return 1;
            }
        }
    };
    match result {
        Ok(out) => {
            if std::io::stdout().write_all(&out).is_err() {
                return 2;
            }
            0
        }
        Err(message) => {
            eprintln!("{message}");
            1
        }
    }
}
