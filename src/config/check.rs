//! The rules that span settings, checked once at start so that a wrong setting stops the
//! gateway with a message that names it.

use super::{ConfigError, Settings, TransportSettings};

impl Settings {
    /// Every partner's certificate binding: no name (`certificate_identity`), subject and
    /// issuer together, and no certificate pinned by two partners.
    fn check_certificate_bindings(&self) -> Result<(), ConfigError> {
        let invalid = |m: String| Err(ConfigError::Invalid(m));
        for partner in &self.partners {
            if let Some(identity) = &partner.certificate_identity {
                return invalid(format!(
                    "partner {}: certificate_identity = {identity:?} is no longer accepted: a name binds \
                     every certificate of the partner CA that carries it, as its common name or as a \
                     DNS name. Bind the partner's certificate by certificate_fingerprint = \"sha256:…\" \
                     (openssl x509 -in CERT -noout -fingerprint -sha256), or by certificate_subject and \
                     certificate_issuer (openssl x509 -in CERT -noout -subject -issuer -nameopt RFC2253)",
                    partner.id
                ));
            }
            if partner.certificate_subject.is_some() != partner.certificate_issuer.is_some() {
                return invalid(format!(
                    "partner {}: certificate_subject and certificate_issuer go together (a subject \
                     alone could be issued by any CA the listener trusts)",
                    partner.id
                ));
            }
        }
        for (i, first) in self.partners.iter().enumerate() {
            for second in &self.partners[i + 1..] {
                if let Some(shared) = first
                    .certificate_fingerprint
                    .iter()
                    .find(|f| second.certificate_fingerprint.contains(f))
                {
                    return invalid(format!(
                        "certificate {shared} is bound to two partners, {} and {}: a certificate speaks \
                         for one partner only",
                        first.id, second.id
                    ));
                }
                if let (Some(s1), Some(i1), Some(s2), Some(i2)) = (
                    &first.certificate_subject,
                    &first.certificate_issuer,
                    &second.certificate_subject,
                    &second.certificate_issuer,
                ) && s1.same_as(s2)
                    && i1.same_as(i2)
                {
                    return invalid(format!(
                        "subject \"{s1}\" of issuer \"{i1}\" is bound to two partners, {} and {}: a \
                         certificate speaks for one partner only",
                        first.id, second.id
                    ));
                }
            }
        }
        Ok(())
    }

    /// Checks the cross-field rules.
    pub fn check(&self) -> Result<(), ConfigError> {
        let invalid = |m: String| Err(ConfigError::Invalid(m));
        if self.outbox.lease_secs == 0 || self.outbox.batch_size == 0 {
            return invalid("outbox.lease_secs and outbox.batch_size must be positive".into());
        }
        let mut ids = std::collections::HashSet::new();
        self.check_certificate_bindings()?;
        for partner in &self.partners {
            if partner.id.is_empty()
                || !partner
                    .id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return invalid(format!(
                    "partner id {:?} must be letters, digits, '-' or '_'",
                    partner.id
                ));
            }
            if !ids.insert(partner.id.as_str()) {
                return invalid(format!("partner id {:?} is used twice", partner.id));
            }
            if partner.concurrency == 0 || partner.retry.max_attempts == 0 {
                return invalid(format!(
                    "partner {}: concurrency and retry.max_attempts must be positive",
                    partner.id
                ));
            }
            if let Some(TransportSettings::Https {
                endpoint,
                timeout_secs,
                allow_plaintext,
                client_cert,
                client_key,
                ..
            }) = &partner.transport
            {
                if endpoint.starts_with("http://") && !allow_plaintext {
                    return invalid(format!(
                        "partner {}: endpoint is plaintext http; use https or set allow_plaintext for a loopback test partner",
                        partner.id
                    ));
                }
                if !endpoint.starts_with("https://") && !endpoint.starts_with("http://") {
                    return invalid(format!(
                        "partner {}: endpoint must be an https URL",
                        partner.id
                    ));
                }
                if *timeout_secs == 0 || *timeout_secs + 5 > self.outbox.lease_secs {
                    return invalid(format!(
                        "partner {}: timeout_secs ({timeout_secs}) must be positive and at least 5 s shorter than outbox.lease_secs ({})",
                        partner.id, self.outbox.lease_secs
                    ));
                }
                if client_cert.is_some() != client_key.is_some() {
                    return invalid(format!(
                        "partner {}: client_cert and client_key go together",
                        partner.id
                    ));
                }
            }
        }
        if let Some(fips) = &self.state.fips
            && (fips.len() != 7 || !fips.bytes().all(|b| b.is_ascii_digit()))
        {
            return invalid(format!("state.fips {fips:?} must be 7 digits"));
        }
        if let Some(code) = &self.state.tribe_code {
            if code.len() != 5 || !code.bytes().all(|b| b.is_ascii_digit()) {
                return invalid(format!(
                    "state.tribe_code {code:?} must be the 5-digit tribal locator code"
                ));
            }
            if self.state.fips.is_some() {
                return invalid(
                    "set state.fips (a state's gateway) or state.tribe_code (a Tribe's), not both"
                        .into(),
                );
            }
        }
        if let Some(sink) = self
            .alerts
            .webhook_partners
            .iter()
            .find(|id| self.partner(id).is_none_or(|p| p.transport.is_none()))
        {
            return invalid(format!(
                "alerts.webhook_partners: {sink:?} is not a configured partner with a transport"
            ));
        }
        if self.tls.cert.is_some() != self.tls.key.is_some()
            || (self.tls.cert.is_some() && self.tls.client_ca.is_none())
        {
            return invalid("tls.cert, tls.key and tls.client_ca are set together".into());
        }
        self.server.check().map_err(ConfigError::Invalid)?;
        self.reconcile.check().map_err(ConfigError::Invalid)?;
        self.audit.check().map_err(ConfigError::Invalid)?;
        // Then each kind of partner's own rules.
        for channel in crate::channels::all() {
            channel.check_settings(self).map_err(ConfigError::Invalid)?;
        }
        Ok(())
    }
}
