//! One partner: who it is, how its certificate binds it, how messages reach it, the
//! directory it drops files in, and its exchange agreements.

use std::path::PathBuf;

use serde::Deserialize;

use super::{InterstateSettings, TribalAgreement, TribalFormat};
use crate::outbox::retry::RetryPolicy;

/// What kind of partner this is.
#[derive(Clone, Copy, Debug, Deserialize, serde::Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum PartnerKind {
    /// Another state's IV-D agency.
    State,
    /// A Tribal IV-D program.
    Tribe,
    /// An employer or payroll processor.
    Employer,
    /// A federal office (OCSE, NDNH, tax offset).
    Federal,
    /// A financial institution.
    FinancialInstitution,
    /// A county or other local office taking the canonical model.
    Local,
}

/// One partner.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartnerSettings {
    /// Stable id used in the outbox, metrics and logs.
    pub id: String,
    /// Human name, for the dashboard.
    #[serde(default)]
    pub name: Option<String>,
    /// Kind of partner.
    pub kind: PartnerKind,
    /// The client certificates that speak for this partner on the mutual-TLS listener,
    /// by their SHA-256 fingerprint: `"sha256:<64 hex digits>"` (colons allowed, as
    /// `openssl x509 -noout -fingerprint -sha256` prints it), or a list of them while a
    /// certificate is being replaced. No two partners may share one.
    #[serde(default, deserialize_with = "one_or_many")]
    pub certificate_fingerprint: Vec<crate::tls::Fingerprint>,
    /// With `certificate_issuer`, instead of (or beside) fingerprints: the certificate's
    /// whole subject, e.g. `"CN=csenet.example-state.test, O=Example State, C=US"`, so that
    /// a renewed certificate from the same CA keeps working. Both or neither; no two
    /// partners may pin the same subject and issuer. See [`crate::tls::binding`].
    #[serde(default)]
    pub certificate_subject: Option<crate::tls::DistinguishedName>,
    /// The issuer (the partner CA's subject) that goes with `certificate_subject`.
    #[serde(default)]
    pub certificate_issuer: Option<crate::tls::DistinguishedName>,
    /// No longer accepted: a name (common name or DNS name) bound every certificate of the
    /// partner CA that carried it. Kept only so that a configuration still using it is
    /// refused at start with the way to bind the certificate instead.
    #[serde(default)]
    pub certificate_identity: Option<String>,
    /// How messages reach it; a partner we only receive from (a pick-up directory) has
    /// none.
    #[serde(default)]
    pub transport: Option<TransportSettings>,
    /// Retry rules.
    #[serde(default)]
    pub retry: RetryPolicy,
    /// Most deliveries in flight at once.
    #[serde(default = "default_concurrency")]
    pub concurrency: usize,
    /// Circuit breaker.
    #[serde(default)]
    pub circuit: CircuitSettings,
    /// A directory this partner's files arrive in (batch exchanges), picked up by the
    /// gateway.
    #[serde(default)]
    pub pickup: Option<PickupSettings>,
    /// For another state or a Tribe exchanging CSENet transactions: its code and the
    /// exchange agreement.
    #[serde(default)]
    pub interstate: Option<InterstateSettings>,
    /// For a Tribal IV-D program (or, in a Tribe's own gateway, a state): the Tribal
    /// exchange agreement — its locator, the functions it enables and whether it uses the
    /// XML documents or CSENet transactions.
    #[serde(default)]
    pub tribal: Option<TribalAgreement>,
    /// For an employer or payroll processor receiving income withholding orders: the
    /// FEINs it answers for.
    #[serde(default)]
    pub employer: Option<EmployerPartnerSettings>,
}

/// One value or a list of them, each parsed from its text.
fn one_or_many<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: std::str::FromStr<Err = String>,
{
    struct Visitor<T>(std::marker::PhantomData<T>);
    impl<'de, T: std::str::FromStr<Err = String>> serde::de::Visitor<'de> for Visitor<T> {
        type Value = Vec<T>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a string or a list of strings")
        }

        fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Vec<T>, E> {
            text.parse().map(|one| vec![one]).map_err(E::custom)
        }

        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
            let mut all = Vec::new();
            while let Some(text) = seq.next_element::<String>()? {
                all.push(text.parse().map_err(serde::de::Error::custom)?);
            }
            Ok(all)
        }
    }
    deserializer.deserialize_any(Visitor(std::marker::PhantomData))
}

impl PartnerSettings {
    /// True when the certificate that spoke is one this partner pins: by fingerprint, or
    /// by subject and issuer together. Names in the certificate play no part.
    pub fn binds(&self, peer: &crate::tls::PeerIdentity) -> bool {
        let by_fingerprint = self
            .certificate_fingerprint
            .iter()
            .any(|pinned| pinned.hex() == peer.fingerprint_sha256);
        let by_subject = match (&self.certificate_subject, &self.certificate_issuer) {
            (Some(subject), Some(issuer)) => {
                peer.subject.is_pinned_by(subject) && peer.issuer.is_pinned_by(issuer)
            }
            _ => false,
        };
        by_fingerprint || by_subject
    }
}

/// An employer partner: the FEINs whose withholding orders go to it.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmployerPartnerSettings {
    /// FEINs, 9 digits (a payroll processor answers for many).
    pub feins: Vec<String>,
}

impl PartnerSettings {
    /// The CSENet exchange agreement: the `interstate` one, or a Tribal agreement whose
    /// format is CSENet (its locator is then a CSENet location code).
    pub fn csenet_agreement(&self) -> Option<std::borrow::Cow<'_, InterstateSettings>> {
        if let Some(interstate) = &self.interstate {
            return Some(std::borrow::Cow::Borrowed(interstate));
        }
        let tribal = self.tribal.as_ref()?;
        (tribal.format == TribalFormat::Csenet).then(|| {
            std::borrow::Cow::Owned(InterstateSettings {
                fips: tribal.locator.clone(),
                functions: tribal.functions.clone(),
            })
        })
    }

    /// The Tribal XML exchange agreement, when the partner has one.
    pub fn tribal_xml_agreement(&self) -> Option<&TribalAgreement> {
        self.tribal
            .as_ref()
            .filter(|t| t.format == TribalFormat::Xml)
    }
}

/// A pick-up directory: files a partner (or its transfer software) drops for the gateway.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PickupSettings {
    /// The directory. Picked-up files move to its `processed/` subdirectory.
    pub directory: PathBuf,
    /// The intake channel the files go to (selects how they are processed).
    #[serde(default = "default_pickup_channel")]
    pub channel: String,
    /// How often the directory is scanned, in seconds.
    #[serde(default = "default_pickup_interval")]
    pub interval_secs: u64,
    /// A file is taken only when it has not changed for this long, in seconds, so that a
    /// file still being written is left alone.
    #[serde(default = "default_settle")]
    pub settle_secs: u64,
}

fn default_pickup_channel() -> String {
    "files".to_string()
}

fn default_pickup_interval() -> u64 {
    10
}

fn default_settle() -> u64 {
    2
}

fn default_concurrency() -> usize {
    4
}

/// Circuit breaker settings.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CircuitSettings {
    /// Consecutive failures that open the circuit.
    pub failure_threshold: u32,
    /// How long it stays open, in seconds.
    pub cooldown_secs: u64,
}

impl Default for CircuitSettings {
    fn default() -> Self {
        CircuitSettings {
            failure_threshold: 5,
            cooldown_secs: 30,
        }
    }
}

/// How messages reach a partner.
#[derive(Clone, Debug, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case", deny_unknown_fields)]
pub enum TransportSettings {
    /// HTTPS POST, one message per request.
    Https {
        /// The URL.
        endpoint: String,
        /// CA to trust for the partner's server certificate (PEM).
        #[serde(default)]
        ca: Option<PathBuf>,
        /// Our client certificate for this partner (PEM).
        #[serde(default)]
        client_cert: Option<PathBuf>,
        /// Its key (PEM).
        #[serde(default)]
        client_key: Option<PathBuf>,
        /// Time-out of one request, in seconds.
        #[serde(default = "default_timeout")]
        timeout_secs: u64,
        /// Allow an `http://` endpoint (loopback test partners only).
        #[serde(default)]
        allow_plaintext: bool,
    },
    /// A file written atomically into a directory the partner picks up from.
    FileDrop {
        /// The directory.
        directory: PathBuf,
    },
    /// One record appended to a data set file the partner retrieves (the CSENet outgoing
    /// transactions data set).
    DataSet {
        /// The data set file.
        file: PathBuf,
    },
}

fn default_timeout() -> u64 {
    30
}
