//! Error records from the CSENet server (spec §1.9): the 145-byte records the server
//! appends to the state's Invalid Transactions data set, one per rejected transaction.
//!
//! The real code list (IGD Appendix E, Charts E-1/E-2/E-3) was not available, so codes are
//! decoded only as far as the spec goes: a code starting with `W` is a warning (the
//! transaction was still delivered), anything else an error. The code itself is kept
//! verbatim, so a table loaded from configuration can name it.

use ivd_fixed::{FieldError, RecordWriter};
use time::Date;

use crate::codec::{Codec, Date8, Digits, Text, relocate};
use crate::layout::SERVER_ERROR;

/// How serious a server error is (§1.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Severity {
    /// The code starts with `W`: the transaction was still delivered.
    Warning,
    /// Any other code: the transaction was rejected.
    Error,
}

/// A server error code, kept verbatim (trailing spaces trimmed).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct ServerErrorCode(pub String);

impl ServerErrorCode {
    /// Warning or error.
    pub fn severity(&self) -> Severity {
        if self.0.starts_with('W') {
            Severity::Warning
        } else {
            Severity::Error
        }
    }

    /// Whether the code is a warning.
    pub fn is_warning(&self) -> bool {
        self.severity() == Severity::Warning
    }
}

/// One server error record (IGD Chart C-12). It describes *our* failed outbound
/// transaction, so Local is us and Other the intended receiver.
///
/// `Debug` is derived: the record holds case ids and FIPS codes, no personal data. The
/// message text is the server's, which may quote a field; treat it like the record.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServerError {
    /// Txn-Counter: the sequence number CSENet gives the error (6 digits, `""` if blank).
    pub counter: String,
    /// Local-FIPS-Code: our 7-character FIPS, from the failed record.
    pub local_fips: String,
    /// Other-FIPS-Code: the intended receiver.
    pub other_fips: String,
    /// Local-Case-ID.
    pub local_case_id: String,
    /// Other-Case-ID.
    pub other_case_id: String,
    /// Action-Code of the failed transaction.
    pub action: String,
    /// Functional-Type-Code of the failed transaction.
    pub function: String,
    /// Action-Reason of the failed transaction.
    pub reason: String,
    /// Action-Resolution-Date of the failed transaction.
    pub action_resolution_date: Option<Date>,
    /// Transaction-Date of the failed transaction.
    pub transaction_date: Option<Date>,
    /// Error-Code (4 characters; `W…` is a warning).
    pub code: ServerErrorCode,
    /// Serial number of the failed transaction (Error-Mess. positions 91–102).
    pub serial_number: String,
    /// The error text (Error-Mess. positions 104–145).
    pub message: String,
}

impl ServerError {
    /// Parses one 145-byte record (without line terminator), returning every field error.
    pub fn parse(record: &[u8]) -> Result<ServerError, Vec<FieldError>> {
        let rec = SERVER_ERROR.read(record).map_err(|e| vec![e])?;
        let mut errors = Vec::new();
        let get = |name: &str| -> usize { SERVER_ERROR.index_of(name).unwrap_or(usize::MAX) };
        macro_rules! read {
            ($codec:ident, $name:literal) => {
                match $codec::read(&rec, get($name)) {
                    Ok(v) => v.into(),
                    Err(e) => {
                        errors.push(relocate(e, "SERVER_ERROR", 0));
                        Default::default()
                    }
                }
            };
        }
        let e = ServerError {
            counter: read!(Digits, "Txn-Counter"),
            local_fips: read!(Text, "Local-FIPS-Code"),
            other_fips: read!(Text, "Other-FIPS-Code"),
            local_case_id: read!(Text, "Local-Case-ID"),
            other_case_id: read!(Text, "Other-Case-ID"),
            action: read!(Text, "Action-Code"),
            function: read!(Text, "Functional-Type-Code"),
            reason: read!(Text, "Action-Reason"),
            action_resolution_date: read!(Date8, "Action-Resolution-Date"),
            transaction_date: read!(Date8, "Transaction-Date"),
            code: ServerErrorCode(read!(Text, "Error-Code")),
            serial_number: read!(Digits, "Error-Mess-Serial-Number"),
            message: read!(Text, "Error-Mess-Text"),
        };
        if errors.is_empty() {
            Ok(e)
        } else {
            Err(errors)
        }
    }

    /// Writes the 145-byte record (no line terminator).
    pub fn write(&self) -> Result<Vec<u8>, Vec<FieldError>> {
        let mut w = RecordWriter::new(&SERVER_ERROR);
        let mut errors = Vec::new();
        macro_rules! put {
            ($codec:ident, $name:literal, $v:expr) => {
                let i = SERVER_ERROR.index_of($name).unwrap_or(usize::MAX);
                if let Err(e) = $codec::write(&mut w, i, &$v.clone().into()) {
                    errors.push(relocate(e, "SERVER_ERROR", 0));
                }
            };
        }
        put!(Digits, "Txn-Counter", &self.counter);
        put!(Text, "Local-FIPS-Code", &self.local_fips);
        put!(Text, "Other-FIPS-Code", &self.other_fips);
        put!(Text, "Local-Case-ID", &self.local_case_id);
        put!(Text, "Other-Case-ID", &self.other_case_id);
        put!(Text, "Action-Code", &self.action);
        put!(Text, "Functional-Type-Code", &self.function);
        put!(Text, "Action-Reason", &self.reason);
        put!(
            Date8,
            "Action-Resolution-Date",
            &self.action_resolution_date
        );
        put!(Date8, "Transaction-Date", &self.transaction_date);
        put!(Text, "Error-Code", &self.code.0);
        put!(Digits, "Error-Mess-Serial-Number", &self.serial_number);
        put!(Text, "Error-Mess-Text", &self.message);
        if errors.is_empty() {
            Ok(w.finish())
        } else {
            Err(errors)
        }
    }

    /// The serial number of the failed transaction as a number, when it is one.
    pub fn failed_serial(&self) -> Option<u64> {
        self.serial_number.parse().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn sample() -> ServerError {
        ServerError {
            counter: "000042".into(),
            local_fips: "2700000".into(),
            other_fips: "0600000".into(),
            local_case_id: "MN-TEST-0001".into(),
            other_case_id: "CA-TEST-0001".into(),
            action: "R".into(),
            function: "ENF".into(),
            reason: "ERWAG".into(),
            action_resolution_date: None,
            transaction_date: Some(date!(2026 - 03 - 02)),
            code: ServerErrorCode("W012".into()),
            serial_number: "000000001234".into(),
            message: "INVALID OTHER FIPS COUNTY".into(),
        }
    }

    #[test]
    fn a_server_error_record_round_trips_and_a_w_code_is_a_warning() {
        let bytes = sample().write().unwrap();
        assert_eq!(bytes.len(), 145);
        assert_eq!(&bytes[90..103], b"000000001234 ");
        let back = ServerError::parse(&bytes).unwrap();
        assert_eq!(back, sample());
        assert!(back.code.is_warning());
        assert_eq!(back.failed_serial(), Some(1234));
        assert_eq!(ServerErrorCode("E001".into()).severity(), Severity::Error);
    }

    #[test]
    fn a_short_server_error_record_is_a_length_error() {
        let errors = ServerError::parse(b"000001").unwrap_err();
        assert_eq!(errors[0].code, ivd_fixed::ErrorCode::LENGTH);
    }
}
