//! Other states (and Tribes that exchange CSENet): CSENet 2000 transactions over mutual
//! TLS or through the CSENet data sets.
//!
//! Outbound: the state system asks for a transaction (`POST /state/v1/cases/{id}/
//! transactions` with format `csenet`, function, action and reason). The request is
//! stored as the cause, checked against the partner's exchange agreement and the valid
//! function–action–reason combinations, built from the current case with family-violence
//! redaction ([`outbound::CsenetRenderer`]), given the next serial number, and enqueued
//! with the deadlines of the answers the partner owes (10 working days to acknowledge a
//! referral, 7 days to answer a case-status request, …), all in one transaction.
//!
//! Inbound: `POST /partner/v1/csenet` over mutual TLS takes one or more transactions; the
//! body is stored first and every transaction gets a verdict — accepted (an event on the
//! state system's feed), duplicate (same sender FIPS and serial) or rejected (with the
//! reasons) — see [`intake`]. A referral (PAT, EST or ENF request) is acknowledged at
//! once (`A ANOAD`); a transaction naming a case of ours we do not have is answered
//! `MSC P REJCT`; a partner's acknowledgment or case-status answer satisfies our deadline
//! for the case. Through the CSENet server the same happens with data sets: the outgoing
//! one is appended to, the incoming and invalid ones are picked up.

pub mod config;
pub mod files;
pub mod intake;
pub mod jobs;
pub mod outbound;
pub mod routes;

/// The parameters of a CSENet transaction request, stored with the request.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CsenetParameters {
    /// Function code (`ENF`, `CSI`, …).
    pub function: String,
    /// Action code (`R`, `P`, `A`, …).
    pub action: String,
    /// Reason code (may be blank for some combinations).
    #[serde(default)]
    pub reason: String,
    /// The partner's case id, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other_case_id: Option<String>,
}

impl CsenetParameters {
    /// Checks the request against the agreement and the valid combinations; the error
    /// says which rule it breaks.
    pub fn check(&self, agreement: &crate::config::InterstateSettings) -> Result<(), String> {
        use ivd_csenet::{ActionCode, FunctionCode};
        if !agreement.allows(&self.function) {
            return Err(format!(
                "the exchange agreement with this partner does not cover the function {}",
                self.function
            ));
        }
        let function = FunctionCode::parse(&self.function.to_ascii_uppercase());
        let action = ActionCode::parse(&self.action.to_ascii_uppercase());
        if !ivd_csenet::codes::is_valid_far(&function, &action, &self.reason.to_ascii_uppercase()) {
            return Err(format!(
                "{} {} {} is not a valid CSENet function-action-reason combination",
                self.function, self.action, self.reason
            ));
        }
        Ok(())
    }
}

/// Other states, through CSENet 2000 transactions.
#[derive(Clone, Copy, Debug, Default)]
pub struct Interstate;

impl super::Channel for Interstate {
    fn name(&self) -> &'static str {
        "interstate"
    }

    /// CSENet transactions and the CSENet server's error records, once the state's FIPS
    /// code is set.
    fn processors(
        &self,
        context: &super::ChannelContext,
    ) -> Vec<(&'static str, std::sync::Arc<dyn crate::intake::Processor>)> {
        if context.settings.state.fips.is_none() {
            return Vec::new();
        }
        vec![
            (
                intake::CHANNEL,
                std::sync::Arc::new(intake::CsenetIntake::new(context.settings.clone())),
            ),
            (
                intake::ERRORS_CHANNEL,
                std::sync::Arc::new(intake::ServerErrorIntake),
            ),
        ]
    }

    fn renderers(
        &self,
        settings: &crate::config::Settings,
    ) -> Vec<std::sync::Arc<dyn crate::outbox::render::Renderer>> {
        outbound::CsenetRenderer::from_settings(settings)
            .map(|renderer| std::sync::Arc::new(renderer) as _)
            .into_iter()
            .collect()
    }

    fn jobs(&self) -> Vec<std::sync::Arc<dyn crate::reconcile::report::Job>> {
        vec![
            std::sync::Arc::new(jobs::ack_deadlines::AckDeadlines),
            std::sync::Arc::new(jobs::interstate_cases::InterstateCases),
        ]
    }

    fn partner_routes(&self) -> axum::Router<crate::web::AppState> {
        routes::partner_routes()
    }

    /// Every CSENet agreement names a 7-character partner FIPS code and CSENet functions, and
    /// our own FIPS code is set.
    fn check_settings(&self, settings: &crate::config::Settings) -> Result<(), String> {
        for partner in &settings.partners {
            if let Some(interstate) = &partner.interstate {
                if interstate.fips.len() != 7 || !interstate.fips.is_ascii() {
                    return Err(format!(
                        "partner {}: interstate.fips must be 7 characters",
                        partner.id
                    ));
                }
                if let Some(unknown) = interstate.functions.iter().find(|f| {
                    !["LO1", "CSI", "ENF", "EST", "PAT", "MSC", "COL"]
                        .contains(&f.to_ascii_uppercase().as_str())
                }) {
                    return Err(format!(
                        "partner {}: {unknown:?} is not a CSENet function",
                        partner.id
                    ));
                }
                if settings.state.fips.is_none() {
                    return Err(format!(
                        "partner {} exchanges CSENet: set state.fips, our own FIPS code",
                        partner.id
                    ));
                }
            }
        }
        Ok(())
    }

    fn file_formats(&self) -> Vec<&'static dyn crate::files::FileFormat> {
        vec![&files::CsenetTransactions, &files::CsenetServerErrors]
    }
}
