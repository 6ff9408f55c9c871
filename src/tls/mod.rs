//! Partner identity over mutual TLS.
//!
//! Every partner (another state, a Tribe, OCSE, a bank) reaches the gateway over HTTPS and
//! proves who it is with a client certificate issued by a CA the gateway trusts. This module
//! owns the TLS side of that:
//!
//! - [`server_config`] builds the listener's `rustls::ServerConfig`: TLS 1.2 and 1.3 only,
//!   a client certificate is **required** and verified against the partner CA
//!   (`WebPkiClientVerifier`), ALPN `h2` and `http/1.1`.
//! - [`client_config`] builds the `rustls::ClientConfig` the outbox uses to reach partners,
//!   optionally presenting the gateway's own client certificate.
//! - [`serve_mtls`] serves the partner listener: the accept loop and bounds every listener
//!   has ([`crate::web::listener`]), with a handshake (under a deadline) that turns the
//!   verified leaf certificate into a [`PeerIdentity`], placed in every request's
//!   extensions (handlers take `Extension<PeerIdentity>`).
//! - [`ensure_dev_certificates`] makes (once) a development CA, a `localhost` server
//!   certificate and a `dev-partner` client certificate, so the default configuration runs
//!   with no outside PKI. [`issue_client_certificate`] issues more partner identities.
//!
//! # The one decision that matters
//!
//! The crypto provider is always `ring`, passed explicitly to every builder
//! (`builder_with_provider`). Nothing here relies on, or installs, a process-wide default
//! provider, so linking another crate that enables `aws-lc-rs` cannot change what the
//! gateway negotiates, and no code path can panic for want of a default.
//!
//! Binding a certificate to a partner (which FIPS code, Tribe or FEIN it may speak for) is
//! not done here: this module says *which certificate* spoke ([`PeerIdentity`]: its
//! fingerprint, subject and issuer) and gives the types a partner's configuration pins a
//! certificate by ([`binding`]: a [`Fingerprint`], or a subject with its issuer as
//! [`DistinguishedName`]s). Names — the common name, the DNS names — never bind: any
//! certificate of the partner CA may carry any of them.
//!
//! # Errors
//!
//! [`TlsError`] names the file that failed and what was wrong with it. It never carries key
//! material or certificate contents.

pub mod binding;
mod dev_certs;
mod serve;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConfig, RootCertStore, ServerConfig};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use sha2::{Digest, Sha256};

pub use binding::{CertificatePins, DistinguishedName, Fingerprint};
pub use dev_certs::{
    DevCertificates, IssuedCertificate, ensure_dev_certificates, issue_client_certificate,
};
pub use serve::{ServeOptions, serve_mtls, serve_mtls_with_options};

/// The protocol versions the gateway speaks, on both sides. TLS 1.0 and 1.1 are not
/// implemented by rustls at all; listing the two we accept keeps that explicit.
static PROTOCOL_VERSIONS: &[&rustls::SupportedProtocolVersion] =
    &[&rustls::version::TLS13, &rustls::version::TLS12];

/// What went wrong while loading or making TLS material. Every variant that concerns a
/// file names it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// A file could not be read, written or created.
    #[error("TLS file {path}: {source}")]
    Io {
        /// The file (or directory) concerned.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A PEM file held no certificate, or could not be parsed as PEM.
    #[error("certificate file {path} holds no usable PEM certificate: {reason}")]
    BadCertificateFile {
        /// The file concerned.
        path: PathBuf,
        /// What was wrong (no key or certificate material is quoted).
        reason: String,
    },
    /// A PEM file held no private key, or one that could not be parsed.
    #[error("private key file {path} holds no usable PEM private key: {reason}")]
    BadKeyFile {
        /// The file concerned.
        path: PathBuf,
        /// What was wrong (no key material is quoted).
        reason: String,
    },
    /// A CA file parsed but none of its certificates could be used as a trust anchor.
    #[error("CA file {path} holds no certificate usable as a trust anchor: {reason}")]
    BadCaFile {
        /// The file concerned.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },
    /// The certificate and private key files do not belong together, or rustls refused them.
    #[error("certificate {cert} with key {key} refused: {source}")]
    CertificateRejected {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
        /// What rustls said.
        #[source]
        source: rustls::Error,
    },
    /// The client-certificate verifier could not be built from the CA file.
    #[error("client certificate verifier for CA {path} could not be built: {source}")]
    Verifier {
        /// The CA file.
        path: PathBuf,
        /// What rustls said.
        #[source]
        source: rustls::server::VerifierBuilderError,
    },
    /// rustls refused the protocol versions (cannot happen with the `ring` provider; kept
    /// so that a provider change is an error, not a panic).
    #[error("TLS protocol versions refused: {0}")]
    Protocol(#[source] rustls::Error),
    /// No CA was given for outbound connections. The gateway never falls back to the
    /// system's root store: every partner endpoint is reached through a configured CA.
    #[error(
        "no CA file configured: outbound TLS requires an explicit CA (system roots are never used)"
    )]
    MissingCa,
    /// Generating a certificate or key failed.
    #[error("generating {what} failed: {source}")]
    Generate {
        /// What was being made (e.g. "the development CA").
        what: String,
        /// What rcgen said.
        #[source]
        source: rcgen::Error,
    },
    /// A development certificate on disk is not one this module made or can reuse.
    #[error("development certificate {path} cannot be reused: {reason}")]
    DevCertificate {
        /// The file concerned.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A common name given for a new client certificate is not acceptable (it is also used
    /// as a file name).
    #[error(
        "client certificate name is invalid: use 1-64 characters from A-Z a-z 0-9 . _ - , not starting with '.'"
    )]
    InvalidCommonName,
}

/// Which certificate spoke: extracted from the verified client certificate of a mutual-TLS
/// connection and placed in every request's extensions by [`serve_mtls`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PeerIdentity {
    /// The subject's first common name, if it has one and it is valid UTF-8. For logs
    /// only: a name never binds a certificate to a partner.
    pub common_name: Option<String>,
    /// The subject, for a partner pinned by `certificate_subject`.
    pub subject: DistinguishedName,
    /// The issuer, for a partner pinned by `certificate_issuer`.
    pub issuer: DistinguishedName,
    /// Lower-case hex of the SHA-256 of the leaf certificate's DER: what
    /// `certificate_fingerprint` pins.
    pub fingerprint_sha256: String,
}

impl PeerIdentity {
    /// Reads the identity of a (verified) leaf certificate.
    ///
    /// The error is a short description without certificate contents.
    pub fn from_der(der: &[u8]) -> Result<Self, String> {
        let (_, cert) = x509_parser::parse_x509_certificate(der)
            .map_err(|error| format!("the peer certificate could not be parsed: {error}"))?;
        let common_name = cert
            .subject()
            .iter_common_name()
            .next()
            .and_then(|attribute| attribute.as_str().ok())
            .map(str::to_owned);
        Ok(Self {
            common_name,
            subject: DistinguishedName::from_x509(cert.subject()),
            issuer: DistinguishedName::from_x509(cert.issuer()),
            fingerprint_sha256: hex::encode(Sha256::digest(der)),
        })
    }
}

/// The crypto provider of every config built here.
fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Reads every certificate of a PEM file; at least one is required.
pub(crate) fn load_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let bytes = std::fs::read(path).map_err(|source| TlsError::Io {
        path: path.to_owned(),
        source,
    })?;
    let certificates = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| TlsError::BadCertificateFile {
            path: path.to_owned(),
            reason: error.to_string(),
        })?;
    if certificates.is_empty() {
        return Err(TlsError::BadCertificateFile {
            path: path.to_owned(),
            reason: "no CERTIFICATE section found".to_owned(),
        });
    }
    Ok(certificates)
}

/// Reads the first private key (PKCS#8, PKCS#1 or SEC1) of a PEM file.
pub(crate) fn load_private_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    let bytes = std::fs::read(path).map_err(|source| TlsError::Io {
        path: path.to_owned(),
        source,
    })?;
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|error| TlsError::BadKeyFile {
        path: path.to_owned(),
        reason: match error {
            rustls_pki_types::pem::Error::NoItemsFound => "no PRIVATE KEY section found".to_owned(),
            other => other.to_string(),
        },
    })
}

/// Builds a root store from every certificate of a CA file.
fn load_roots(path: &Path) -> Result<RootCertStore, TlsError> {
    let mut roots = RootCertStore::empty();
    for certificate in load_certificates(path)? {
        roots
            .add(certificate)
            .map_err(|error| TlsError::BadCaFile {
                path: path.to_owned(),
                reason: error.to_string(),
            })?;
    }
    Ok(roots)
}

/// The listener's TLS configuration: TLS 1.2 and 1.3, a client certificate required and
/// verified against `client_ca_pem`, ALPN `h2` then `http/1.1`, the `ring` provider.
pub fn server_config(
    cert_pem: &Path,
    key_pem: &Path,
    client_ca_pem: &Path,
) -> Result<Arc<ServerConfig>, TlsError> {
    let provider = provider();
    let roots = load_roots(client_ca_pem)?;
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|source| TlsError::Verifier {
            path: client_ca_pem.to_owned(),
            source,
        })?;
    let chain = load_certificates(cert_pem)?;
    let key = load_private_key(key_pem)?;
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(PROTOCOL_VERSIONS)
        .map_err(TlsError::Protocol)?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)
        .map_err(|source| TlsError::CertificateRejected {
            cert: cert_pem.to_owned(),
            key: key_pem.to_owned(),
            source,
        })?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// The outbound TLS configuration: TLS 1.2 and 1.3, trusting only the CA in `ca_pem`, and
/// presenting the client certificate `identity = (cert_pem, key_pem)` when given.
///
/// `ca_pem` is an `Option` so that configuration can pass its optional field straight
/// through, but `None` is an error ([`TlsError::MissingCa`]): the gateway never trusts the
/// system's root store for partner traffic, every partner endpoint has a configured CA.
///
/// ALPN is left empty on purpose: the HTTPS connector sets it (and refuses a preset one).
pub fn client_config(
    ca_pem: Option<&Path>,
    identity: Option<(&Path, &Path)>,
) -> Result<Arc<ClientConfig>, TlsError> {
    let ca_pem = ca_pem.ok_or(TlsError::MissingCa)?;
    let roots = load_roots(ca_pem)?;
    let builder = ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(PROTOCOL_VERSIONS)
        .map_err(TlsError::Protocol)?
        .with_root_certificates(roots);
    let config = match identity {
        None => builder.with_no_client_auth(),
        Some((cert_pem, key_pem)) => {
            let chain = load_certificates(cert_pem)?;
            let key = load_private_key(key_pem)?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|source| TlsError::CertificateRejected {
                    cert: cert_pem.to_owned(),
                    key: key_pem.to_owned(),
                    source,
                })?
        }
    };
    Ok(Arc::new(config))
}
