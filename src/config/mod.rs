//! Configuration: one TOML file (`config/gateway.toml` is the embedded default), with any
//! value overridable by an environment variable `IVD_SECTION__KEY` (for example
//! `IVD_DATABASE__URL=postgres://…`). Checked once, at start: a wrong setting stops the
//! gateway with a message that names it, rather than failing on the first message.
//!
//! The settings of each kind of partner are declared by its channel (for example
//! [`crate::channels::employers::config`]) and re-exported here; the listeners', the
//! database's, the outbox's and the partners' own settings are in the files of this folder.

mod check;
mod partners;
mod privacy;
mod server;
#[cfg(test)]
mod tests;

use std::path::Path;

use figment::Figment;
use figment::providers::{Env, Format, Toml};
use serde::Deserialize;

use crate::outbox::retry::RetryPolicy;

pub use crate::channels::employers::config::{EmployerSettings, IwoIssuerSettings};
pub use crate::channels::interstate::config::InterstateSettings;
pub use crate::channels::tribal::config::{TribalAgreement, TribalFormat};
pub use partners::{
    CircuitSettings, EmployerPartnerSettings, PartnerKind, PartnerSettings, PickupSettings,
    TransportSettings,
};
pub use privacy::PrivacySettings;
pub use server::{DatabaseSettings, LogSettings, OutboxSettings, ServerSettings, TlsSettings};

/// Every setting of a gateway instance.
#[derive(Clone, Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Where the data lives.
    pub database: DatabaseSettings,
    /// Listeners.
    pub server: ServerSettings,
    /// The partner listener's certificates.
    pub tls: TlsSettings,
    /// Outbox dispatching.
    pub outbox: OutboxSettings,
    /// Logging.
    pub log: LogSettings,
    /// The state this gateway speaks for.
    pub state: StateSettings,
    /// The partners this gateway exchanges with.
    pub partners: Vec<PartnerSettings>,
    /// Employers: new-hire intake, NDNH forwarding, income withholding orders.
    pub employers: EmployerSettings,
    /// Financial Institution Data Match: where inquiry files go, their character set and
    /// how often they are written.
    pub fidm: crate::channels::fidm::FidmSettings,
    /// Federal tax refund offset: the certification cycle and OCSE's return files.
    pub offset: crate::channels::offset::OffsetSettings,
    /// Keys that protect personal data.
    pub privacy: PrivacySettings,
    /// Where alerts go besides the log.
    pub alerts: crate::alerts::AlertSettings,
    /// Reconciliation jobs: schedules and parameters.
    pub reconcile: crate::reconcile::ReconcileSettings,
    /// The audit chain's key and the checkpoints that anchor it outside the database.
    pub audit: crate::audit::AuditSettings,
}

/// The character set of a federal file.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum FileEncoding {
    /// EBCDIC code page 037.
    Ebcdic,
    /// ASCII.
    Ascii,
}

impl FileEncoding {
    /// The adapter encoding.
    pub fn encoding(self) -> ivd_fixed::Encoding {
        match self {
            FileEncoding::Ebcdic => ivd_fixed::Encoding::Ebcdic037,
            FileEncoding::Ascii => ivd_fixed::Encoding::Ascii,
        }
    }
}

/// The state this gateway speaks for.
#[derive(Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct StateSettings {
    /// Our FIPS code, 7 digits (state 2, county 3, local office 2), e.g. `2700000`: the
    /// Local-FIPS of every CSENet transaction we send.
    pub fips: Option<String>,
    /// When this gateway speaks for a Tribal IV-D program instead of a state: its 5-digit
    /// tribal locator code (IRG), the sender of every Tribal exchange document it writes.
    pub tribe_code: Option<String>,
    /// Our office as the CSENet Case Data block gives it to partners: where to send
    /// payments and whom to contact (`paymentMailAddressLine1`, `paymentCity`,
    /// `paymentState`, `paymentZip1`, `contactNameLast`, `contactPhoneNum`, … — the block's
    /// fields in camelCase). Case type, status and the nondisclosure finding come from each
    /// case.
    pub csenet_office: Option<ivd_csenet::CaseData>,
}

impl std::fmt::Debug for StateSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StateSettings")
            .field("fips", &self.fips)
            .field("tribe_code", &self.tribe_code)
            .field("csenet_office", &self.csenet_office.is_some())
            .finish()
    }
}

/// A setting that cannot work.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file or an override could not be read: where (file or environment variable),
    /// which key, what is wrong and, where it helps, the form expected.
    #[error("cannot read the configuration: {0}")]
    Load(String),
    /// A value is wrong.
    #[error("configuration: {0}")]
    Invalid(String),
}

/// Says once what is wrong with each value figment could not read: the file (or the
/// environment variable) it came from, the key as written in the file, what is wrong, and
/// for the keys whose form is not obvious, the form expected. (figment's own text names a
/// `default.` profile this project does not use and repeats itself through the error chain.)
fn describe(error: figment::Error) -> ConfigError {
    use figment::error::Kind;
    let problems: Vec<String> = error
        .into_iter()
        .map(|e| {
            let key = e.path.join(".");
            let place = match &e.metadata {
                Some(metadata) => match &metadata.source {
                    Some(figment::Source::File(path)) => path.display().to_string(),
                    // The only environment provider is `IVD_` with `__` between keys.
                    _ if metadata.name.contains("environment") => format!(
                        "environment variable IVD_{}",
                        e.path.join("__").to_uppercase()
                    ),
                    _ => metadata.name.to_string(),
                },
                None => "the configuration".to_string(),
            };
            let what = match &e.kind {
                Kind::UnknownField(found, expected) => format!(
                    "unknown key `{found}` (the keys of this table: {})",
                    expected.join(", ")
                ),
                Kind::UnknownVariant(found, expected) => {
                    format!(
                        "unknown value `{found}` (expected one of: {})",
                        expected.join(", ")
                    )
                }
                Kind::MissingField(name) => format!("`{name}` is missing"),
                Kind::InvalidType(actual, expected) | Kind::InvalidValue(actual, expected) => {
                    format!("expected {expected}, found {actual}")
                }
                other => other.to_string(),
            };
            let hint = expected_form(&e.path)
                .map(|form| format!(" (expected {form})"))
                .unwrap_or_default();
            if key.is_empty() {
                format!("{place}: {what}{hint}")
            } else {
                format!("{place}, key {key}: {what}{hint}")
            }
        })
        .collect();
    ConfigError::Load(problems.join("; "))
}

/// The form of the values whose errors do not say it themselves.
fn expected_form(path: &[String]) -> Option<&'static str> {
    match path.last().map(String::as_str)? {
        "listen" | "partner_listen" | "metrics_listen" => {
            Some("an address and port, e.g. \"127.0.0.1:8080\"")
        }
        "url" if path.first().is_some_and(|t| t == "database") => Some(
            "sqlite://PATH or postgres://USER@HOST:PORT/DATABASE, e.g. \"sqlite://data/gateway.db\"",
        ),
        "endpoint" => Some("an http:// or https:// URL"),
        _ => None,
    }
}

impl Settings {
    /// Reads `path` (when it exists) and `IVD_…` overrides, then checks the result.
    pub fn load(path: Option<&Path>) -> Result<Settings, ConfigError> {
        let mut figment = Figment::new();
        if let Some(path) = path {
            if !path.exists() {
                return Err(ConfigError::Invalid(format!(
                    "configuration file {} does not exist",
                    path.display()
                )));
            }
            figment = figment.merge(Toml::file(path));
        }
        let settings: Settings = figment
            .merge(
                Env::prefixed("IVD_")
                    .split("__")
                    .ignore(&["test_database_url"]),
            )
            .extract()
            .map_err(describe)?;
        settings.check()?;
        Ok(settings)
    }

    /// Parses TOML text (no environment overrides), then checks it.
    pub fn from_toml(text: &str) -> Result<Settings, ConfigError> {
        let settings: Settings = Figment::new()
            .merge(Toml::string(text))
            .extract()
            .map_err(describe)?;
        settings.check()?;
        Ok(settings)
    }

    /// The partner with this id.
    pub fn partner(&self, id: &str) -> Option<&PartnerSettings> {
        self.partners.iter().find(|p| p.id == id)
    }

    /// The employer partner that answers for `fein` (9 digits), if one is configured.
    pub fn employer_partner(&self, fein: &str) -> Option<&PartnerSettings> {
        self.partners.iter().find(|p| {
            p.employer
                .as_ref()
                .is_some_and(|e| e.feins.iter().any(|f| f.replace('-', "") == fein))
        })
    }

    /// Attempts a message to `partner` is allowed (the default policy's for a partner no
    /// longer configured, so its old messages can still be redelivered).
    pub fn max_attempts_for(&self, partner: &str) -> i64 {
        let policy = self.partner(partner).map(|p| &p.retry);
        i64::from(policy.map_or(RetryPolicy::default().max_attempts, |r| r.max_attempts))
    }
}
