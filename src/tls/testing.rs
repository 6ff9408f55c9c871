//! Certificates that must be refused, for tests of the mutual-TLS listener.
//!
//! Always compiled (integration tests and the end-to-end harness use them), but nothing in
//! the service calls them.

use std::path::Path;

use time::{Duration, OffsetDateTime};

use super::TlsError;
use super::dev_certs::{
    IssuedCertificate, issue_client_certificate_valid, issue_client_into, issue_leaf_naming,
    make_ca, signing_ca, write_atomic,
};

/// Issues a client certificate for `common_name`, signed by the CA in `ca_cert`/`ca_key`,
/// that expired long ago (valid 2020-01-01 to 2021-01-01). Written to `out_dir` as
/// `<common_name>.pem` and `<common_name>-key.pem`.
pub fn issue_expired_client_certificate(
    ca_cert: &Path,
    ca_key: &Path,
    common_name: &str,
    out_dir: &Path,
) -> Result<IssuedCertificate, TlsError> {
    issue_client_certificate_valid(
        ca_cert,
        ca_key,
        common_name,
        out_dir,
        rcgen::date_time_ymd(2020, 1, 1),
        rcgen::date_time_ymd(2021, 1, 1),
    )
}

/// Issues a client certificate for `common_name` that is valid in every way except that it
/// is signed by a freshly made CA nobody trusts. The foreign CA is written to
/// `<out_dir>/<common_name>-foreign-ca.pem` (its key is not kept), the client certificate
/// to `<common_name>.pem` and `<common_name>-key.pem`.
pub fn issue_foreign_client_certificate(
    common_name: &str,
    out_dir: &Path,
) -> Result<IssuedCertificate, TlsError> {
    let now = OffsetDateTime::now_utc();
    // Same subject as the development CA: the foreign certificate is refused for its
    // signature, not merely for an unknown issuer name.
    let (ca, ca_pem, _key_pem) = make_ca("ivd-gateway development CA", now)?;
    write_atomic(
        &out_dir.join(format!("{common_name}-foreign-ca.pem")),
        ca_pem.as_bytes(),
        crate::privacy::files::PRIVATE_FILE_MODE,
    )?;
    issue_client_into(
        &ca.issuer,
        common_name,
        out_dir,
        now - Duration::hours(1),
        now + Duration::days(30),
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
) -> Result<IssuedCertificate, TlsError> {
    let ca = signing_ca(ca_cert, ca_key)?;
    let issued = IssuedCertificate {
        cert: out_dir.join(format!("{common_name}.pem")),
        key: out_dir.join(format!("{common_name}-key.pem")),
    };
    let now = OffsetDateTime::now_utc();
    issue_leaf_naming(
        &ca.issuer,
        common_name,
        more_names,
        now - Duration::hours(1),
        now + Duration::days(30),
        &issued.cert,
        &issued.key,
    )?;
    Ok(issued)
}
