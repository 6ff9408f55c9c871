//! Client certificates the gateway's mutual-TLS listener must refuse, for its tests.
//!
//! They are made like the gateway's development PKI makes its own
//! (`ivd_gateway::tls::ensure_dev_certificates`): the same subject names, key usages and
//! extensions, so that a refusal is for the one thing each helper gets wrong (expired,
//! a foreign signature, a name that is not the partner's), not for an unfamiliar shape.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};
use time::{Duration, OffsetDateTime};

/// What went wrong (reading the CA, generating, writing).
pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// Subject common name of the gateway's development CA.
const DEV_CA_COMMON_NAME: &str = "ivd-gateway development CA";
/// Organisation of every development certificate.
const DEV_ORGANISATION: &str = "ivd-gateway development (not for production)";

/// A certificate and its key, as written to disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedCertificate {
    /// `<name>.pem`.
    pub cert: PathBuf,
    /// `<name>-key.pem` (mode 0600).
    pub key: PathBuf,
}

/// Issues a client certificate for `common_name`, signed by the CA in `ca_cert`/`ca_key`
/// (a development CA), that expired long ago (valid 2020-01-01 to 2021-01-01). Written to
/// `out_dir` as `<common_name>.pem` and `<common_name>-key.pem`.
pub fn issue_expired_client_certificate(
    ca_cert: &Path,
    ca_key: &Path,
    common_name: &str,
    out_dir: &Path,
) -> Result<IssuedCertificate, Error> {
    let ca = dev_ca(ca_cert, ca_key)?;
    issue(
        &ca,
        common_name,
        &[],
        rcgen::date_time_ymd(2020, 1, 1),
        rcgen::date_time_ymd(2021, 1, 1),
        out_dir,
    )
}

/// Issues a client certificate for `common_name` that is valid in every way except that it
/// is signed by a freshly made CA nobody trusts. The foreign CA is written to
/// `<out_dir>/<common_name>-foreign-ca.pem` (its key is not kept), the client certificate
/// to `<common_name>.pem` and `<common_name>-key.pem`.
pub fn issue_foreign_client_certificate(
    common_name: &str,
    out_dir: &Path,
) -> Result<IssuedCertificate, Error> {
    let now = OffsetDateTime::now_utc();
    // Same subject as the development CA: the foreign certificate is refused for its
    // signature, not merely for an unknown issuer name.
    let key = KeyPair::generate()?;
    let params = ca_params(now - Duration::hours(1), now + Duration::days(3650));
    let certificate = params.self_signed(&key)?;
    write_private(
        &out_dir.join(format!("{common_name}-foreign-ca.pem")),
        certificate.pem().as_bytes(),
    )?;
    issue(
        &Issuer::new(params, key),
        common_name,
        &[],
        now - Duration::hours(1),
        now + Duration::days(30),
        out_dir,
    )
}

/// Issues a client certificate for `common_name`, signed by the CA in `ca_cert`/`ca_key`,
/// that also carries `more_names` as DNS subject alternative names: what a partner CA that
/// issues whatever names it is asked for would give a partner who asked for another
/// partner's name. Written to `out_dir` as `<common_name>.pem` and `<common_name>-key.pem`.
pub fn issue_client_certificate_naming(
    ca_cert: &Path,
    ca_key: &Path,
    common_name: &str,
    more_names: &[&str],
    out_dir: &Path,
) -> Result<IssuedCertificate, Error> {
    let ca = dev_ca(ca_cert, ca_key)?;
    let now = OffsetDateTime::now_utc();
    issue(
        &ca,
        common_name,
        more_names,
        now - Duration::hours(1),
        now + Duration::days(30),
        out_dir,
    )
}

/// The development CA's parameters (its subject is fixed, so a leaf signed with these
/// names the CA on disk as its issuer).
fn ca_params(not_before: OffsetDateTime, not_after: OffsetDateTime) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::CommonName, DEV_CA_COMMON_NAME);
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
    params
}

/// The development CA of `ca_cert`/`ca_key`, to sign with.
fn dev_ca(ca_cert: &Path, ca_key: &Path) -> Result<Issuer<'static, KeyPair>, Error> {
    if !ca_cert.is_file() {
        return Err(format!("no CA certificate at {}", ca_cert.display()).into());
    }
    let key = KeyPair::from_pem(&std::fs::read_to_string(ca_key)?)?;
    let now = OffsetDateTime::now_utc();
    Ok(Issuer::new(ca_params(now, now + Duration::days(1)), key))
}

/// Writes a client certificate for `common_name` (DNS names: the common name, then
/// `more_names`), signed by `issuer`, to `out_dir`.
fn issue(
    issuer: &Issuer<'static, KeyPair>,
    common_name: &str,
    more_names: &[&str],
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
    out_dir: &Path,
) -> Result<IssuedCertificate, Error> {
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
    params.subject_alt_names = std::iter::once(common_name)
        .chain(more_names.iter().copied())
        .filter_map(|name| rcgen::string::Ia5String::try_from(name).ok())
        .map(SanType::DnsName)
        .collect();
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let key = KeyPair::generate()?;
    let certificate = params.signed_by(&key, issuer)?;
    let issued = IssuedCertificate {
        cert: out_dir.join(format!("{common_name}.pem")),
        key: out_dir.join(format!("{common_name}-key.pem")),
    };
    write_private(&issued.key, key.serialize_pem().as_bytes())?;
    write_private(&issued.cert, certificate.pem().as_bytes())?;
    Ok(issued)
}

/// Writes `bytes` to `path` with mode 0600.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    std::fs::write(path, bytes)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    Ok(())
}
