//! The financial institution data match files for `check` and `convert`: Method 1
//! all-accounts files, and Method 2 inquiry and match files. EBCDIC or ASCII, told apart
//! by the bytes ([`crate::files::sniff_encoding`]).

use ivd_fixed::RecordVerdict;

use crate::files::{FileFormat, Parsed, WholeFileFormat, json_values, sniff_encoding};

/// One FIDM file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FidmFormat {
    /// Financial institution → state, Method 1 all accounts (A/B/T).
    Accounts,
    /// State → financial institution, Method 2 inquiry (D/I/T).
    Inquiry,
    /// Financial institution → state, Method 2 matches (A/B/T).
    Matches,
}

/// Every FIDM format, as the file commands list them.
pub const FORMATS: [&dyn FileFormat; 3] = [
    &FidmFormat::Accounts,
    &FidmFormat::Inquiry,
    &FidmFormat::Matches,
];

impl WholeFileFormat for FidmFormat {
    fn name(&self) -> &'static str {
        match self {
            FidmFormat::Accounts => "fidm-accounts",
            FidmFormat::Inquiry => "fidm-inquiry",
            FidmFormat::Matches => "fidm-matches",
        }
    }

    fn describe(&self) -> &'static str {
        match self {
            FidmFormat::Accounts => "FIDM Method 1 all-accounts or update file (A/B/T)",
            FidmFormat::Inquiry => "FIDM Method 2 inquiry file (D/I/T, 99 bytes)",
            FidmFormat::Matches => "FIDM Method 2 match file (A/B/T)",
        }
    }

    /// A verdict for every record of `bytes`.
    fn verdicts(&self, bytes: &[u8]) -> Vec<RecordVerdict> {
        let encoding = sniff_encoding(bytes);
        match self {
            FidmFormat::Accounts => ivd_fidm::account_verdicts(bytes, encoding).collect(),
            FidmFormat::Inquiry => ivd_fidm::inquiry_verdicts(bytes, encoding).collect(),
            FidmFormat::Matches => ivd_fidm::match_verdicts(bytes, encoding).collect(),
        }
    }

    /// The parsed records as JSON values, the invalid records' verdicts and the file-level
    /// errors.
    fn parsed(&self, bytes: &[u8]) -> Parsed {
        let encoding = sniff_encoding(bytes);
        let (values, verdicts, errors) = match self {
            FidmFormat::Accounts => {
                let mut accounts = Vec::new();
                let mut verdicts = Vec::new();
                for outcome in ivd_fidm::read_accounts(bytes, encoding) {
                    verdicts.push(outcome.verdict());
                    if let Some(account) = outcome.account {
                        accounts.push(account);
                    }
                }
                (json_values(&accounts), verdicts, Vec::new())
            }
            FidmFormat::Inquiry => {
                let f = ivd_fidm::read_inquiry_file(bytes, encoding);
                let values = f
                    .inquiries
                    .iter()
                    .zip(&f.records)
                    .map(|(inquiry, record)| {
                        serde_json::json!({ "record": record, "inquiry": inquiry })
                    })
                    .collect();
                (values, f.verdicts, f.errors)
            }
            FidmFormat::Matches => {
                let f = ivd_fidm::read_match_file(bytes, encoding);
                (json_values(&f.matches), f.verdicts, f.errors)
            }
        };
        let invalid = verdicts.into_iter().filter(|v| !v.is_valid()).collect();
        (values, invalid, errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_committed_sample_checks_with_its_format() {
        crate::files::every_sample_reads_clean(&[
            (
                FidmFormat::Accounts,
                "adapters/fidm/samples/all-accounts.txt",
            ),
            (
                FidmFormat::Accounts,
                "adapters/fidm/samples/all-accounts.ebc",
            ),
            (FidmFormat::Inquiry, "adapters/fidm/samples/inquiry.txt"),
            (FidmFormat::Matches, "adapters/fidm/samples/match.txt"),
        ]);
    }
}
