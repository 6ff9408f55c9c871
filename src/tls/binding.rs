//! What a partner's configuration pins its client certificate by: the certificate's
//! SHA-256 fingerprint ([`Fingerprint`]), or its subject together with its issuer
//! ([`DistinguishedName`]).
//!
//! A name is not a binding: every certificate the partner CA issues is accepted at the
//! handshake, and any of them may carry any name, as its common name or as a DNS name.
//! A fingerprint names exactly one certificate; a subject pinned with its issuer names the
//! certificates one CA issued to one subject (renewals included), never a name picked out
//! of the subject alternative names.
//!
//! # Distinguished names in the configuration
//!
//! Written as RFC 4514 strings: `CN=ivd.example-tribe.test, O=Example Tribe, C=US`.
//! Attribute names are case-insensitive (`CN`, `O`, `OU`, `C`, `ST`, `L`, `STREET`, `DC`,
//! `UID`, `SERIALNUMBER`, `EMAILADDRESS` or `E`, or a dotted OID); values are compared
//! exactly, after RFC 4514 escapes (`\,`, `\+`, `\"`, `\\`, `\<`, `\>`, `\;`, `\=`, `\#`,
//! `\ ` and `\XX` hex pairs) are undone and the spaces around separators dropped. The
//! attributes may be listed in the certificate's order (as `openssl x509 -subject`
//! prints them) or reversed (as `-nameopt RFC2253` prints them); a multi-valued RDN
//! (`+`) counts as its attributes in order. Values of a type that is not a string are
//! compared as `#` and the hexadecimal digits of their content.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use sha2::{Digest, Sha256};

use super::TlsError;

/// The SHA-256 fingerprint of a certificate's DER encoding; written `sha256:` and 64
/// hexadecimal digits (colons between byte pairs and either case accepted when parsed,
/// lower case without colons when printed).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Fingerprint(String);

impl Fingerprint {
    /// The fingerprint of a DER-encoded certificate.
    pub fn of_der(der: &[u8]) -> Fingerprint {
        Fingerprint(hex::encode(Sha256::digest(der)))
    }

    /// The 64 lower-case hexadecimal digits (as [`super::PeerIdentity::fingerprint_sha256`]).
    pub fn hex(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{}", self.0)
    }
}

impl FromStr for Fingerprint {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = || {
            format!(
                "{text:?} is not a certificate fingerprint: write \"sha256:\" and the 64 hexadecimal digits of the certificate's SHA-256"
            )
        };
        let text = text.trim();
        let (algorithm, digits) = text.split_once(':').ok_or_else(invalid)?;
        if !algorithm.trim().eq_ignore_ascii_case("sha256") {
            return Err(invalid());
        }
        let digits: String = digits
            .chars()
            .filter(|c| *c != ':')
            .map(|c| c.to_ascii_lowercase())
            .collect();
        if digits.len() != 64 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(invalid());
        }
        Ok(Fingerprint(digits))
    }
}

impl<'de> serde::Deserialize<'de> for Fingerprint {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// The attribute types with a name; others are written as their dotted OID.
const ATTRIBUTE_TYPES: &[(&str, &str, &[&str])] = &[
    ("2.5.4.3", "CN", &["COMMONNAME"]),
    ("2.5.4.6", "C", &["COUNTRYNAME"]),
    ("2.5.4.7", "L", &["LOCALITYNAME"]),
    ("2.5.4.8", "ST", &["S", "STATEORPROVINCENAME"]),
    ("2.5.4.9", "STREET", &["STREETADDRESS"]),
    ("2.5.4.10", "O", &["ORGANIZATIONNAME"]),
    ("2.5.4.11", "OU", &["ORGANIZATIONALUNITNAME"]),
    ("2.5.4.5", "SERIALNUMBER", &[]),
    ("0.9.2342.19200300.100.1.25", "DC", &["DOMAINCOMPONENT"]),
    ("0.9.2342.19200300.100.1.1", "UID", &["USERID"]),
    ("1.2.840.113549.1.9.1", "EMAILADDRESS", &["E", "EMAIL"]),
];

fn type_of_oid(oid: &str) -> String {
    ATTRIBUTE_TYPES
        .iter()
        .find(|(known, _, _)| *known == oid)
        .map_or_else(|| oid.to_string(), |(_, name, _)| (*name).to_string())
}

fn type_of_name(name: &str) -> Option<String> {
    let upper = name.trim().to_ascii_uppercase();
    if upper.is_empty() {
        return None;
    }
    if upper.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return Some(type_of_oid(&upper));
    }
    ATTRIBUTE_TYPES
        .iter()
        .find(|(_, short, aliases)| *short == upper || aliases.contains(&upper.as_str()))
        .map(|(_, short, _)| (*short).to_string())
}

/// A distinguished name as a list of (attribute type, value), in the certificate's order.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DistinguishedName(Vec<(String, String)>);

impl DistinguishedName {
    /// The name of a parsed certificate's subject or issuer.
    pub fn from_x509(name: &x509_parser::x509::X509Name<'_>) -> DistinguishedName {
        DistinguishedName(
            name.iter_attributes()
                .map(|attribute| {
                    let kind = type_of_oid(&attribute.attr_type().to_id_string());
                    let value = match attribute.as_str() {
                        Ok(text) => text.to_string(),
                        Err(_) => format!("#{}", hex::encode(attribute.as_slice())),
                    };
                    (kind, value)
                })
                .collect(),
        )
    }

    /// True when `pinned` names this name, its attributes in this order or reversed.
    pub fn is_pinned_by(&self, pinned: &DistinguishedName) -> bool {
        self.0 == pinned.0 || self.0.iter().rev().eq(pinned.0.iter())
    }

    /// True when the two names are the same pin (in either order).
    pub fn same_as(&self, other: &DistinguishedName) -> bool {
        self.is_pinned_by(other)
    }
}

fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let last = value.chars().count().saturating_sub(1);
    for (i, c) in value.chars().enumerate() {
        let edge = i == 0 || i == last;
        match c {
            ',' | '+' | '"' | '\\' | '<' | '>' | ';' | '=' => {
                out.push('\\');
                out.push(c);
            }
            '#' if i == 0 => out.push_str("\\#"),
            ' ' if edge => out.push_str("\\ "),
            c if c.is_control() => {
                let mut buffer = [0u8; 4];
                for byte in c.encode_utf8(&mut buffer).bytes() {
                    out.push_str(&format!("\\{byte:02X}"));
                }
            }
            c => out.push(c),
        }
    }
    out
}

impl fmt::Display for DistinguishedName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (kind, value)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            if value.starts_with('#') && kind.contains('.') {
                write!(f, "{kind}={value}")?;
            } else {
                write!(f, "{kind}={}", escape(value))?;
            }
        }
        Ok(())
    }
}

impl FromStr for DistinguishedName {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = |why: &str| format!("{text:?} is not a distinguished name: {why}");
        // Split at unescaped `,`, `;` and `+`, undoing escapes on the way. Each part keeps
        // where its escaped bytes begin and end, so that escaped spaces survive the trim.
        struct Part {
            bytes: Vec<u8>,
            first_escape: Option<usize>,
            escapes_end: usize,
        }
        let new_part = || Part {
            bytes: Vec::new(),
            first_escape: None,
            escapes_end: 0,
        };
        let mut parts = vec![new_part()];
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let part = parts.last_mut().expect("one part at least");
            match bytes[i] {
                b'\\' => {
                    let next = *bytes
                        .get(i + 1)
                        .ok_or_else(|| invalid("it ends with a lone backslash"))?;
                    part.first_escape.get_or_insert(part.bytes.len());
                    if next.is_ascii_hexdigit()
                        && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit)
                    {
                        let pair = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("00");
                        part.bytes.push(u8::from_str_radix(pair, 16).unwrap_or(0));
                        i += 3;
                    } else {
                        part.bytes.push(next);
                        i += 2;
                    }
                    part.escapes_end = part.bytes.len();
                }
                b',' | b';' | b'+' => {
                    parts.push(new_part());
                    i += 1;
                }
                byte => {
                    part.bytes.push(byte);
                    i += 1;
                }
            }
        }
        let mut attributes = Vec::with_capacity(parts.len());
        for part in parts {
            let Part {
                bytes,
                first_escape,
                escapes_end,
            } = part;
            let text = String::from_utf8(bytes)
                .map_err(|_| invalid("an escaped byte sequence is not UTF-8"))?;
            // The first `=` splits type from value; types never need escapes.
            let Some(equals) = text.find('=') else {
                return Err(invalid("every attribute is written TYPE=value"));
            };
            let kind = type_of_name(&text[..equals]).ok_or_else(|| {
                invalid(&format!(
                    "unknown attribute type {:?} (use CN, O, OU, C, ST, L, STREET, DC, UID, SERIALNUMBER, EMAILADDRESS or a dotted OID)",
                    text[..equals].trim()
                ))
            })?;
            let value_start = equals + 1;
            let unescaped_start = text.len() - text[value_start..].trim_start().len();
            let start = first_escape
                .filter(|e| *e >= value_start)
                .map_or(unescaped_start, |e| unescaped_start.min(e));
            let end = text.trim_end().len().max(escapes_end).max(start);
            let value = &text[start..end];
            if value.is_empty() {
                return Err(invalid(&format!("{kind} has no value")));
            }
            attributes.push((kind, value.to_string()));
        }
        Ok(DistinguishedName(attributes))
    }
}

impl<'de> serde::Deserialize<'de> for DistinguishedName {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// What a configuration would pin a certificate by: its fingerprint, subject and issuer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificatePins {
    /// `certificate_fingerprint`.
    pub fingerprint: Fingerprint,
    /// `certificate_subject`.
    pub subject: DistinguishedName,
    /// `certificate_issuer`.
    pub issuer: DistinguishedName,
}

impl CertificatePins {
    /// The pins of a DER-encoded certificate.
    pub fn of_der(der: &[u8]) -> Result<CertificatePins, String> {
        let (_, certificate) = x509_parser::parse_x509_certificate(der)
            .map_err(|error| format!("the certificate could not be parsed: {error}"))?;
        Ok(CertificatePins {
            fingerprint: Fingerprint::of_der(der),
            subject: DistinguishedName::from_x509(certificate.subject()),
            issuer: DistinguishedName::from_x509(certificate.issuer()),
        })
    }

    /// The pins of the first certificate of a PEM file (the leaf of a chain).
    pub fn of_pem_file(path: &Path) -> Result<CertificatePins, TlsError> {
        let certificates = super::load_certificates(path)?;
        CertificatePins::of_der(&certificates[0]).map_err(|reason| TlsError::BadCertificateFile {
            path: path.to_owned(),
            reason,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_parse_in_the_forms_tools_print() {
        let hex = "ab".repeat(32);
        let plain: Fingerprint = format!("sha256:{hex}").parse().unwrap();
        let colons: Fingerprint = format!("SHA256:{}", ["AB"; 32].join(":")).parse().unwrap();
        assert_eq!(plain, colons);
        assert_eq!(plain.to_string(), format!("sha256:{hex}"));
        for wrong in [
            hex.clone(),
            format!("sha1:{hex}"),
            format!("sha256:{}", &hex[..62]),
            format!("sha256:{}zz", &hex[..62]),
        ] {
            assert!(wrong.parse::<Fingerprint>().is_err(), "{wrong}");
        }
    }

    #[test]
    fn names_parse_in_either_order_with_escapes_and_aliases() {
        let certificate = DistinguishedName(vec![
            ("CN".into(), "ivd.example-tribe.test".into()),
            ("O".into(), "Example Tribe, Inc.".into()),
            ("C".into(), "US".into()),
        ]);
        for pinned in [
            "CN=ivd.example-tribe.test, O=Example Tribe\\, Inc., C=US",
            "cn = ivd.example-tribe.test,o=Example Tribe\\2C Inc.;c=US",
            "C=US,O=Example Tribe\\, Inc.,CN=ivd.example-tribe.test",
            "2.5.4.6=US, organizationName=Example Tribe\\, Inc., commonName=ivd.example-tribe.test",
        ] {
            let parsed: DistinguishedName = pinned.parse().unwrap();
            assert!(certificate.is_pinned_by(&parsed), "{pinned}");
        }
        for other in [
            "CN=ivd.example-tribe.test, O=Example Tribe, C=US",
            "CN=ivd.example-tribe.test, O=Example Tribe\\, Inc.",
            "CN=IVD.EXAMPLE-TRIBE.TEST, O=Example Tribe\\, Inc., C=US",
            "O=Example Tribe\\, Inc., CN=ivd.example-tribe.test, C=US",
        ] {
            let parsed: DistinguishedName = other.parse().unwrap();
            assert!(!certificate.is_pinned_by(&parsed), "{other}");
        }
        let printed = certificate.to_string();
        assert_eq!(
            printed,
            "CN=ivd.example-tribe.test, O=Example Tribe\\, Inc., C=US"
        );
        assert!(certificate.is_pinned_by(&printed.parse().unwrap()));
        let spaced: DistinguishedName = "CN=\\ padded\\ ".parse().unwrap();
        assert_eq!(spaced.0[0].1, " padded ");
        let accented: DistinguishedName = "O=Caf\\C3\\A9".parse().unwrap();
        assert_eq!(accented.0[0].1, "Café");
        for wrong in ["", "CN", "CN=", "XX=1", "CN=a\\"] {
            assert!(wrong.parse::<DistinguishedName>().is_err(), "{wrong:?}");
        }
    }
}
