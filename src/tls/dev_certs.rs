//! The development PKI: one CA, a `localhost` server certificate and client certificates
//! for partner identities, all made with rcgen and kept as PEM files.
//!
//! [`ensure_dev_certificates`] is idempotent: files that exist, parse, still have a day of
//! validity left and were issued by the CA on disk are reused; a leaf that is missing or
//! unusable is made again. The CA is made again when either of its files is missing or it is
//! about to expire, and then every leaf is re-issued too (leaves of a lost CA are
//! worthless). A CA file that is there but unreadable, or not made by this module, is an
//! error rather than something to overwrite: it may be someone's real CA. Every file is
//! written to a temporary name and renamed, so a crash never leaves half a PEM file; every
//! file is created with mode 0600 and the directory with 0700, like everything else the
//! gateway creates (the certificates are not secret, but nobody else needs them either).
//!
//! These certificates are for development and tests only. Production uses the state's PKI
//! and points the configuration at its files.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType, SerialNumber,
};
use time::{Duration, OffsetDateTime};

use super::TlsError;
use crate::privacy::files::PRIVATE_FILE_MODE;

/// Subject common name of the development CA.
const DEV_CA_COMMON_NAME: &str = "ivd-gateway development CA";
/// Organisation of every development certificate, so nobody mistakes one for real.
const DEV_ORGANISATION: &str = "ivd-gateway development (not for production)";
/// Common name of the development partner's client certificate.
pub const DEV_PARTNER_COMMON_NAME: &str = "dev-partner";

const CA_LIFETIME: Duration = Duration::days(3650);
const LEAF_LIFETIME: Duration = Duration::days(825);
/// Certificates start this long before they are made, to tolerate clock skew.
const BACKDATE: Duration = Duration::hours(1);
/// A certificate with less validity left than this is made again rather than reused.
const MIN_REMAINING: Duration = Duration::days(1);

/// Where [`ensure_dev_certificates`] keeps the development PKI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevCertificates {
    /// The directory holding all the files.
    pub dir: PathBuf,
    /// `ca.pem`: the development CA certificate (trust anchor for both sides).
    pub ca_cert: PathBuf,
    /// `ca-key.pem`: the CA's private key (mode 0600).
    pub ca_key: PathBuf,
    /// `server.pem`: certificate for `localhost`, `127.0.0.1` and `::1`.
    pub server_cert: PathBuf,
    /// `server-key.pem` (mode 0600).
    pub server_key: PathBuf,
    /// `dev-partner.pem`: the development partner's client certificate (CN `dev-partner`).
    pub partner_cert: PathBuf,
    /// `dev-partner-key.pem` (mode 0600).
    pub partner_key: PathBuf,
}

impl DevCertificates {
    fn in_dir(dir: &Path) -> Self {
        Self {
            dir: dir.to_owned(),
            ca_cert: dir.join("ca.pem"),
            ca_key: dir.join("ca-key.pem"),
            server_cert: dir.join("server.pem"),
            server_key: dir.join("server-key.pem"),
            partner_cert: dir.join(format!("{DEV_PARTNER_COMMON_NAME}.pem")),
            partner_key: dir.join(format!("{DEV_PARTNER_COMMON_NAME}-key.pem")),
        }
    }

    /// Issues a client certificate for `common_name` signed by this development CA, written
    /// to `out_dir` (see [`issue_client_certificate`]).
    pub fn issue_client(
        &self,
        common_name: &str,
        out_dir: &Path,
    ) -> Result<IssuedCertificate, TlsError> {
        issue_client_certificate(&self.ca_cert, &self.ca_key, common_name, out_dir)
    }
}

/// A certificate and its key, as written to disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedCertificate {
    /// `<name>.pem`.
    pub cert: PathBuf,
    /// `<name>-key.pem` (mode 0600).
    pub key: PathBuf,
}

/// A lock file that serialises certificate generation across processes. It is removed
/// when dropped; one left by a crashed process is taken over after a minute.
struct GenerationLock {
    path: std::path::PathBuf,
}

impl GenerationLock {
    fn acquire(dir: &Path) -> Result<Self, TlsError> {
        let path = dir.join(".generating.lock");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            match fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(_) => return Ok(GenerationLock { path }),
                Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
                    let stale = fs::metadata(&path)
                        .and_then(|m| m.modified())
                        .ok()
                        .and_then(|m| m.elapsed().ok())
                        .is_some_and(|age| age > std::time::Duration::from_secs(60));
                    if stale {
                        let _ = fs::remove_file(&path);
                        continue;
                    }
                    if std::time::Instant::now() > deadline {
                        return Err(TlsError::Io {
                            path,
                            source: error,
                        });
                    }
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                Err(source) => return Err(TlsError::Io { path, source }),
            }
        }
    }
}

impl Drop for GenerationLock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

/// Makes the development PKI in `dir` where it is missing, and reuses what is there.
///
/// Writes `ca.pem`, `ca-key.pem`, `server.pem`, `server-key.pem`, `dev-partner.pem` and
/// `dev-partner-key.pem` (mode 0600), creating `dir` (mode 0700) if needed, and returns
/// their paths. Calling it again changes nothing while the files stay valid.
pub fn ensure_dev_certificates(dir: &Path) -> Result<DevCertificates, TlsError> {
    crate::privacy::files::create_private_dir_all(dir).map_err(|source| TlsError::Io {
        path: dir.to_owned(),
        source,
    })?;
    // Several gateway processes may start at once on one directory; without the lock one
    // could read a certificate whose key another is still rewriting.
    let _lock = GenerationLock::acquire(dir)?;
    let files = DevCertificates::in_dir(dir);
    let now = OffsetDateTime::now_utc();

    let (ca, ca_is_new) = match load_dev_ca(&files.ca_cert, &files.ca_key, now)? {
        Some(ca) => (ca, false),
        None => (make_dev_ca(&files.ca_cert, &files.ca_key, now)?, true),
    };

    if ca_is_new || !leaf_is_reusable(&ca, &files.server_cert, &files.server_key, now)? {
        let mut params = leaf_params("localhost", now - BACKDATE, now + LEAF_LIFETIME);
        params.subject_alt_names = vec![
            SanType::DnsName(
                "localhost"
                    .try_into()
                    .map_err(generate("the server certificate"))?,
            ),
            SanType::IpAddress([127, 0, 0, 1].into()),
            SanType::IpAddress(std::net::Ipv6Addr::LOCALHOST.into()),
        ];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        write_leaf(
            &ca.issuer,
            &params,
            &files.server_cert,
            &files.server_key,
            "the server certificate",
        )?;
    }
    if ca_is_new || !leaf_is_reusable(&ca, &files.partner_cert, &files.partner_key, now)? {
        issue_leaf_with(
            &ca.issuer,
            DEV_PARTNER_COMMON_NAME,
            now - BACKDATE,
            now + LEAF_LIFETIME,
            &files.partner_cert,
            &files.partner_key,
        )?;
    }
    Ok(files)
}

/// Issues a client certificate for a partner identity: subject CN `common_name` (also a DNS
/// subject alternative name when it is a valid one), extended key usage clientAuth, signed
/// by the CA in `ca_cert`/`ca_key` (a CA made by [`ensure_dev_certificates`]), valid from
/// now for a little over two years. Writes `<out_dir>/<common_name>.pem` and
/// `<out_dir>/<common_name>-key.pem`, replacing earlier ones.
///
/// `common_name` doubles as the file name, so it must be 1-64 characters from
/// `A-Z a-z 0-9 . _ -` and not start with `.`.
pub fn issue_client_certificate(
    ca_cert: &Path,
    ca_key: &Path,
    common_name: &str,
    out_dir: &Path,
) -> Result<IssuedCertificate, TlsError> {
    let now = OffsetDateTime::now_utc();
    issue_client_certificate_valid(
        ca_cert,
        ca_key,
        common_name,
        out_dir,
        now - BACKDATE,
        now + LEAF_LIFETIME,
    )
}

/// [`issue_client_certificate`] with an explicit validity period.
fn issue_client_certificate_valid(
    ca_cert: &Path,
    ca_key: &Path,
    common_name: &str,
    out_dir: &Path,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
) -> Result<IssuedCertificate, TlsError> {
    let ca = load_ca_for_signing(ca_cert, ca_key)?;
    issue_client_into(&ca.issuer, common_name, out_dir, not_before, not_after)
}

/// Writes a client certificate for `common_name`, signed by `issuer`, into `out_dir`.
fn issue_client_into(
    issuer: &Issuer<'static, KeyPair>,
    common_name: &str,
    out_dir: &Path,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
) -> Result<IssuedCertificate, TlsError> {
    validate_common_name(common_name)?;
    let issued = IssuedCertificate {
        cert: out_dir.join(format!("{common_name}.pem")),
        key: out_dir.join(format!("{common_name}-key.pem")),
    };
    issue_leaf_with(
        issuer,
        common_name,
        not_before,
        not_after,
        &issued.cert,
        &issued.key,
    )?;
    Ok(issued)
}

fn validate_common_name(common_name: &str) -> Result<(), TlsError> {
    let valid = !common_name.is_empty()
        && common_name.len() <= 64
        && !common_name.starts_with('.')
        && common_name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if valid {
        Ok(())
    } else {
        Err(TlsError::InvalidCommonName)
    }
}

/// A CA that can sign: its issuer (distinguished name, key identifier, key) and the raw DER
/// of its subject, which every leaf it signed carries as issuer.
struct SigningCa {
    issuer: Issuer<'static, KeyPair>,
    subject_der: Vec<u8>,
}

/// The parameters of the development CA. They are rebuilt on every run (rcgen cannot read
/// them back without its optional `x509-parser` feature), so they must stay fixed: the CA on
/// disk is checked to have exactly this subject before it is reused.
fn ca_params(
    common_name: &str,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::CommonName, common_name);
    params
        .distinguished_name
        .push(DnType::OrganizationName, DEV_ORGANISATION);
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params.not_before = not_before;
    params.not_after = not_after;
    params.serial_number = Some(random_serial());
    params
}

/// Makes a self-signed CA in memory (the development CA) and returns it with its
/// certificate PEM and key PEM.
fn make_ca(
    common_name: &str,
    now: OffsetDateTime,
) -> Result<(SigningCa, String, String), TlsError> {
    let what = "a CA certificate";
    let key = KeyPair::generate().map_err(generate(what))?;
    let params = ca_params(common_name, now - BACKDATE, now + CA_LIFETIME);
    let certificate = params.self_signed(&key).map_err(generate(what))?;
    let certificate_pem = certificate.pem();
    let key_pem = key.serialize_pem();
    let subject_der = subject_of(certificate.der())
        .map_err(|_| generate(what)(rcgen::Error::CouldNotParseCertificate))?;
    Ok((
        SigningCa {
            issuer: Issuer::new(params, key),
            subject_der,
        },
        certificate_pem,
        key_pem,
    ))
}

fn make_dev_ca(
    cert_path: &Path,
    key_path: &Path,
    now: OffsetDateTime,
) -> Result<SigningCa, TlsError> {
    let (ca, certificate_pem, key_pem) = make_ca(DEV_CA_COMMON_NAME, now)?;
    // The key first: a certificate on disk without its key would be reused by nobody.
    write_atomic(key_path, key_pem.as_bytes(), PRIVATE_FILE_MODE)?;
    write_atomic(cert_path, certificate_pem.as_bytes(), PRIVATE_FILE_MODE)?;
    Ok(ca)
}

/// Loads the development CA when both files exist and are usable; `Ok(None)` when it has to
/// be made (missing, expiring, or not the development CA).
fn load_dev_ca(
    cert_path: &Path,
    key_path: &Path,
    now: OffsetDateTime,
) -> Result<Option<SigningCa>, TlsError> {
    if !cert_path.exists() || !key_path.exists() {
        return Ok(None);
    }
    let ca = load_ca_for_signing(cert_path, key_path)?;
    let der = read_single_certificate(cert_path)?;
    if !has_validity_left(&der, now) {
        return Ok(None);
    }
    Ok(Some(ca))
}

/// Loads a CA made by this module so that it can sign. Checks that the certificate's
/// subject is what the fixed parameters produce and that the key belongs to it.
fn load_ca_for_signing(cert_path: &Path, key_path: &Path) -> Result<SigningCa, TlsError> {
    let key_pem = fs::read_to_string(key_path).map_err(|source| TlsError::Io {
        path: key_path.to_owned(),
        source,
    })?;
    let key = KeyPair::from_pem(&key_pem).map_err(|error| TlsError::BadKeyFile {
        path: key_path.to_owned(),
        reason: error.to_string(),
    })?;
    let der = read_single_certificate(cert_path)?;
    let unusable = |reason: &str| TlsError::DevCertificate {
        path: cert_path.to_owned(),
        reason: reason.to_owned(),
    };
    let (_, certificate) = x509_parser::parse_x509_certificate(&der)
        .map_err(|_| unusable("it is not a parsable X.509 certificate"))?;
    if certificate.public_key().subject_public_key.data.as_ref() != key.public_key_raw() {
        return Err(unusable("its public key does not match the CA key file"));
    }
    let common_name = certificate
        .subject()
        .iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .unwrap_or_default()
        .to_owned();
    let subject_der = certificate.subject().as_raw().to_vec();
    // Rebuild the issuer from the fixed parameters, then prove the rebuilt subject encodes
    // exactly like the one on disk (leaves carry it as their issuer name).
    let params = ca_params(
        &common_name,
        OffsetDateTime::now_utc(),
        OffsetDateTime::now_utc() + Duration::days(1),
    );
    let probe = params
        .self_signed(&key)
        .map_err(generate("a CA probe certificate"))?;
    if subject_of(probe.der()).ok().as_deref() != Some(subject_der.as_slice()) {
        return Err(unusable("it was not made by ivd-gateway's development PKI"));
    }
    Ok(SigningCa {
        issuer: Issuer::new(params, key),
        subject_der,
    })
}

/// True when the leaf pair exists, parses, was issued by `ca` and has validity left.
fn leaf_is_reusable(
    ca: &SigningCa,
    cert_path: &Path,
    key_path: &Path,
    now: OffsetDateTime,
) -> Result<bool, TlsError> {
    if !cert_path.exists() || !key_path.exists() {
        return Ok(false);
    }
    if super::load_private_key(key_path).is_err() {
        return Ok(false);
    }
    let der = read_single_certificate(cert_path)?;
    let Ok((_, certificate)) = x509_parser::parse_x509_certificate(&der) else {
        return Ok(false);
    };
    Ok(certificate.issuer().as_raw() == ca.subject_der.as_slice() && has_validity_left(&der, now))
}

fn leaf_params(
    common_name: &str,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::CommonName, common_name);
    params
        .distinguished_name
        .push(DnType::OrganizationName, DEV_ORGANISATION);
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.use_authority_key_identifier_extension = true;
    params.not_before = not_before;
    params.not_after = not_after;
    params.serial_number = Some(random_serial());
    params
}

fn issue_leaf_with(
    issuer: &Issuer<'static, KeyPair>,
    common_name: &str,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
    cert_path: &Path,
    key_path: &Path,
) -> Result<(), TlsError> {
    issue_leaf_naming(
        issuer,
        common_name,
        &[],
        not_before,
        not_after,
        cert_path,
        key_path,
    )
}

/// A client certificate for `common_name` whose DNS subject alternative names are the
/// common name (when it is a valid one) followed by `more_names`.
fn issue_leaf_naming(
    issuer: &Issuer<'static, KeyPair>,
    common_name: &str,
    more_names: &[&str],
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
    cert_path: &Path,
    key_path: &Path,
) -> Result<(), TlsError> {
    let mut params = leaf_params(common_name, not_before, not_after);
    params.subject_alt_names = std::iter::once(common_name)
        .chain(more_names.iter().copied())
        .filter_map(|name| rcgen::string::Ia5String::try_from(name).ok())
        .map(SanType::DnsName)
        .collect();
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    write_leaf(issuer, &params, cert_path, key_path, "a client certificate")
}

fn write_leaf(
    issuer: &Issuer<'static, KeyPair>,
    params: &CertificateParams,
    cert_path: &Path,
    key_path: &Path,
    what: &str,
) -> Result<(), TlsError> {
    let key = KeyPair::generate().map_err(generate(what))?;
    let certificate = params.signed_by(&key, issuer).map_err(generate(what))?;
    write_atomic(key_path, key.serialize_pem().as_bytes(), PRIVATE_FILE_MODE)?;
    write_atomic(cert_path, certificate.pem().as_bytes(), PRIVATE_FILE_MODE)?;
    Ok(())
}

fn read_single_certificate(path: &Path) -> Result<Vec<u8>, TlsError> {
    let mut certificates = super::load_certificates(path)?;
    Ok(certificates.swap_remove(0).to_vec())
}

fn subject_of(der: &[u8]) -> Result<Vec<u8>, String> {
    x509_parser::parse_x509_certificate(der)
        .map(|(_, certificate)| certificate.subject().as_raw().to_vec())
        .map_err(|error| format!("a generated certificate could not be parsed back: {error}"))
}

fn has_validity_left(der: &[u8], now: OffsetDateTime) -> bool {
    x509_parser::parse_x509_certificate(der).is_ok_and(|(_, certificate)| {
        let validity = certificate.validity();
        validity.not_before.timestamp() <= now.unix_timestamp()
            && validity.not_after.timestamp() > (now + MIN_REMAINING).unix_timestamp()
    })
}

fn random_serial() -> SerialNumber {
    let mut bytes: [u8; 16] = rand::random();
    // Positive and of fixed length: clear the sign bit, keep the top byte non-zero.
    bytes[0] = (bytes[0] & 0x7f) | 0x40;
    SerialNumber::from_slice(&bytes)
}

fn generate(what: &str) -> impl FnOnce(rcgen::Error) -> TlsError + '_ {
    move |source| TlsError::Generate {
        what: what.to_owned(),
        source,
    }
}

/// Writes `bytes` to `path` through a temporary file in the same directory (created with
/// `mode`), fsynced and renamed over `path`.
fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> Result<(), TlsError> {
    let io_error = |source| TlsError::Io {
        path: path.to_owned(),
        source,
    };
    let file_name = path
        .file_name()
        .ok_or_else(|| io_error(std::io::Error::from(std::io::ErrorKind::InvalidInput)))?;
    let temporary = path.with_file_name(format!(
        ".{}.tmp-{:016x}",
        file_name.to_string_lossy(),
        rand::random::<u64>()
    ));
    let result = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&temporary, path)
    })();
    if let Err(source) = result {
        let _ = fs::remove_file(&temporary);
        return Err(io_error(source));
    }
    Ok(())
}
