//! The employers channel's settings (`[employers]`): new-hire intake, NDNH forwarding,
//! income withholding orders and their issuer.

use std::path::PathBuf;

use serde::Deserialize;

use crate::config::FileEncoding;

/// Employers: new-hire intake, NDNH forwarding, income withholding orders.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EmployerSettings {
    /// Where uploaded files are written (and fsynced) before they are parsed.
    pub spool_dir: PathBuf,
    /// Largest new-hire upload accepted, in bytes.
    pub max_upload_bytes: u64,
    /// Uploaded files, and the W4 copies of records NDNH has taken, are kept this many
    /// days after receipt, then deleted (the per-record verdicts stay).
    pub retention_days: u64,
    /// Accept ITINs (9xx) in the SSN field (some states allow them for contractors).
    pub allow_itin: bool,
    /// A report of the same employee, FEIN and a hire date this many days or fewer from an
    /// earlier accepted one is a duplicate, not forwarded twice.
    pub duplicate_window_days: i64,
    /// The partner (kind `federal`) new hires are forwarded to; unset: not forwarded.
    pub ndnh_partner: Option<String>,
    /// Most W4 records in one NDNH transmission file.
    pub ndnh_batch_size: usize,
    /// How often accepted reports are gathered into transmission files, in seconds.
    pub forward_interval_secs: u64,
    /// Character set of NDNH files: `ebcdic` (the federal rule) or `ascii`.
    pub ndnh_encoding: FileEncoding,
    /// Days an employer has to acknowledge an income withholding order.
    pub iwo_ack_days: i64,
    /// What the income withholding orders we issue say about us; unset: matches are
    /// reported to the state system but no e-IWO is issued.
    pub iwo: Option<IwoIssuerSettings>,
    /// Requests for an employer account one client address may file per hour on the
    /// employer pages.
    pub registrations_per_address_per_hour: u32,
    /// Most requests for an employer account waiting for a decision; beyond, new requests
    /// are turned away ("try again later") until admins decide some.
    pub max_pending_registrations: u32,
}

impl EmployerSettings {
    /// The limits on requests for an employer account.
    pub fn registration_limits(&self) -> crate::store::employer_accounts::RegistrationLimits {
        crate::store::employer_accounts::RegistrationLimits {
            per_address_per_hour: i64::from(self.registrations_per_address_per_hour),
            max_pending: i64::from(self.max_pending_registrations),
        }
    }
}

impl Default for EmployerSettings {
    fn default() -> Self {
        EmployerSettings {
            spool_dir: PathBuf::from("data/spool"),
            max_upload_bytes: 2 * 1024 * 1024 * 1024,
            retention_days: 90,
            allow_itin: false,
            duplicate_window_days: 60,
            ndnh_partner: None,
            ndnh_batch_size: 10_000,
            forward_interval_secs: 300,
            ndnh_encoding: FileEncoding::Ebcdic,
            iwo_ack_days: 10,
            iwo: None,
            registrations_per_address_per_hour: 5,
            max_pending_registrations: 1_000,
        }
    }
}

/// The issuer of our income withholding orders: the agency, the State Disbursement Unit
/// that receives payments, and the withholding terms.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IwoIssuerSettings {
    /// Issuing state, tribe or territory, as printed (e.g. `MINNESOTA`).
    pub issuing_state: String,
    /// Issuing jurisdiction (county or agency).
    pub issuing_jurisdiction: String,
    /// The government official who signs.
    pub official_name: String,
    /// Their title.
    pub official_title: String,
    /// State Disbursement Unit: payee name.
    pub payee_name: String,
    /// SDU address line 1.
    pub payee_address: String,
    /// SDU city.
    pub payee_city: String,
    /// SDU state (USPS).
    pub payee_state: String,
    /// SDU ZIP (5 digits).
    pub payee_zip: String,
    /// SDU locator (FIPS) code sent with every payment.
    pub remittance_fips: String,
    /// Withholding begins no later than the first pay period this many days after the
    /// order date.
    #[serde(default = "default_begin_days")]
    pub begin_within_days: u32,
    /// Payments go out within this many working days of the pay date.
    #[serde(default = "default_send_days")]
    pub send_within_days: u32,
    /// Percent of disposable income withheld when support cannot be paid in full.
    #[serde(default = "default_ccpa")]
    pub ccpa_percent: u32,
    /// Contact for the employee's questions: name.
    #[serde(default)]
    pub contact_name: Option<String>,
    /// Contact phone (10 digits).
    #[serde(default)]
    pub contact_phone: Option<String>,
}

fn default_begin_days() -> u32 {
    14
}

fn default_send_days() -> u32 {
    7
}

fn default_ccpa() -> u32 {
    50
}
