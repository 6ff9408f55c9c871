//! Tribal IV-D programs: the Tribal exchange documents (`schemas/tribal-exchange.xsd`) over
//! mutual TLS. A Tribe whose agreement says CSENet goes through [`super::interstate`]
//! instead, with its tribal locator in the FIPS fields.
//!
//! A Tribe is configured like a partner state, with a Tribal agreement in place of the
//! CSENet one: its 5-digit tribal locator, the functions the agreement enables, and the
//! format (`xml`, the default, or `csenet`). A Tribe's own gateway is the same program with
//! `state.tribe_code` set, and the state it exchanges with configured as a partner of kind
//! `state` with a Tribal agreement (the state's 7-digit FIPS as the locator).
//!
//! Outbound: the state system asks for a message (`POST /state/v1/cases/{id}/transactions`
//! with format `tribal`, function, action, reason, the partner's case id and, for a
//! response, the message it answers). The request is stored as the cause, checked against
//! the agreement, written from the current case with family-violence redaction (the
//! adapter's writer applies it) under the next message id, and enqueued with the answers
//! the partner owes, in one transaction ([`outbound::TribalRenderer`]).
//!
//! Inbound: `POST /partner/v1/tribal` takes one document. The body is stored first; then
//! the document gets its verdict ([`intake`]): rejected (it does not parse, it does not
//! come from the partner whose certificate sent it, it is not for us, its function is
//! outside the agreement, or it names a case of ours we do not have), duplicate (same
//! sender and message id) or accepted — an event `tribal.received` on the state system's
//! feed. A request (`R`) is acknowledged at once; an acknowledgment or a response
//! satisfies the deadline of the message it answers.

pub mod config;
pub mod files;
pub mod intake;
pub mod outbound;
pub mod routes;

use ivd_tribal::{Function, MessageKind, Party, PartyKind};

use crate::config::{PartnerKind, PartnerSettings, Settings, TribalAgreement, TribalFormat};

/// The parameters of a Tribal message request, stored with the request.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TribalParameters {
    /// Function code (`LO1`, `CSI`, `ENF`, `EST`, `PAT`, `COL`, `MSC`).
    pub function: String,
    /// Action code: `R`, `U`, `C`, `M` (requests), `P` (responses), `A` (acknowledgments).
    pub action: String,
    /// Reason code (5 upper-case letters), when the function and action have one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The partner's case id, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other_case_id: Option<String>,
    /// For a response or an acknowledgment: the partner's message id it answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_reply_to: Option<String>,
}

impl TribalParameters {
    /// The function, when the code is one.
    pub fn function(&self) -> Option<Function> {
        Function::from_code(&self.function.to_ascii_uppercase())
    }

    /// The message kind the action code makes.
    pub fn kind(&self) -> Option<MessageKind> {
        [
            MessageKind::Request,
            MessageKind::Response,
            MessageKind::Acknowledgment,
        ]
        .into_iter()
        .find(|kind| {
            kind.actions()
                .contains(&self.action.to_ascii_uppercase().as_str())
        })
    }

    /// Checks the request against the agreement; the error says which rule it breaks.
    /// (The rest — reason format, case content — is the adapter's, checked when the
    /// document is written.)
    pub fn check(&self, agreement: &TribalAgreement) -> Result<(), String> {
        if self.function().is_none() {
            return Err(format!("{} is not a function code", self.function));
        }
        if !agreement.allows(&self.function) {
            return Err(format!(
                "the exchange agreement with this partner does not cover the function {}",
                self.function
            ));
        }
        let Some(kind) = self.kind() else {
            return Err(format!(
                "{} is not an action code (R, U, C, M, P or A)",
                self.action
            ));
        };
        if kind != MessageKind::Request && self.in_reply_to.is_none() {
            return Err(
                "a response or an acknowledgment names the message it answers (inReplyTo)".into(),
            );
        }
        Ok(())
    }
}

/// Who this gateway is in the Tribal exchange: the Tribe (`state.tribe_code`) or the
/// state (`state.fips`).
pub fn our_party(settings: &Settings) -> Option<Party> {
    if let Some(code) = &settings.state.tribe_code {
        return Some(Party {
            kind: PartyKind::Tribe,
            locator: code.clone(),
        });
    }
    settings.state.fips.as_ref().map(|fips| Party {
        kind: PartyKind::State,
        locator: fips.clone(),
    })
}

/// Who the partner is in the Tribal exchange, when it has an XML agreement.
pub fn partner_party(partner: &PartnerSettings) -> Option<Party> {
    let agreement = partner.tribal_xml_agreement()?;
    let kind = match partner.kind {
        PartnerKind::Tribe => PartyKind::Tribe,
        _ => PartyKind::State,
    };
    Some(Party {
        kind,
        locator: agreement.locator.clone(),
    })
}

/// A message id of ours: our locator and a serial (`2712300-000000000042`), unique and
/// within the schema's 50 characters.
pub fn message_id(our: &Party, serial: i64) -> String {
    format!("{}-{serial:012}", our.locator)
}

/// "CSI R FSINF": function, action and reason, for logs and verdicts.
pub fn describe(function: Function, action: &str, reason: Option<&str>) -> String {
    format!("{} {} {}", function.code(), action, reason.unwrap_or(""))
        .trim_end()
        .to_string()
}

/// The kind under which the answers a partner owes are recorded as deadlines.
pub mod answers {
    /// An acknowledgment of a request.
    pub const ACKNOWLEDGMENT: &str = "tribal.acknowledgment";
    /// A response to a case-status request.
    pub const RESPONSE: &str = "tribal.response";
}

/// Tribal IV-D programs, through the Tribal case-exchange XML documents.
#[derive(Clone, Copy, Debug, Default)]
pub struct Tribal;

impl super::Channel for Tribal {
    fn name(&self) -> &'static str {
        "tribal"
    }

    /// Tribal documents: always understood once we have an identity, so a document from a
    /// partner without an agreement gets a clear refusal rather than no verdict.
    fn processors(
        &self,
        context: &super::ChannelContext,
    ) -> Vec<(&'static str, std::sync::Arc<dyn crate::intake::Processor>)> {
        if our_party(&context.settings).is_none() {
            return Vec::new();
        }
        vec![(
            intake::CHANNEL,
            std::sync::Arc::new(intake::TribalIntake::new(context.settings.clone())),
        )]
    }

    fn renderers(
        &self,
        settings: &Settings,
    ) -> Vec<std::sync::Arc<dyn crate::outbox::render::Renderer>> {
        outbound::TribalRenderer::from_settings(settings)
            .map(|renderer| std::sync::Arc::new(renderer) as _)
            .into_iter()
            .collect()
    }

    fn partner_routes(&self) -> axum::Router<crate::web::AppState> {
        routes::partner_routes()
    }

    /// A Tribal agreement is with a Tribe (or, on a Tribe's gateway, a state), names its
    /// locator in the form its format needs, and lists known functions.
    fn check_settings(&self, settings: &crate::config::Settings) -> Result<(), String> {
        for partner in &settings.partners {
            let Some(tribal) = &partner.tribal else {
                continue;
            };
            let id = &partner.id;
            if partner.interstate.is_some() {
                return Err(format!(
                    "partner {id}: one agreement per partner: interstate (CSENet) or tribal, not both"
                ));
            }
            let digits = match (partner.kind, tribal.format) {
                (PartnerKind::Tribe, TribalFormat::Xml) => 5,
                (PartnerKind::Tribe | PartnerKind::State, _) => 7,
                _ => {
                    return Err(format!(
                        "partner {id}: a tribal agreement is with a Tribe (or, for a Tribe's gateway, a state)"
                    ));
                }
            };
            if tribal.locator.len() != digits || !tribal.locator.bytes().all(|b| b.is_ascii_digit())
            {
                return Err(format!(
                    "partner {id}: tribal.locator must be {digits} digits for a {:?} partner exchanging {:?}",
                    partner.kind, tribal.format
                ));
            }
            if tribal.format == TribalFormat::Csenet
                && ivd_model::StateFips::parse(&tribal.locator[..2]).is_err()
            {
                return Err(format!(
                    "partner {id}: tribal.locator must be a CSENet location code (a valid state FIPS in positions 1-2) when the format is csenet"
                ));
            }
            if let Some(unknown) = tribal
                .functions
                .iter()
                .find(|f| ivd_tribal::Function::from_code(&f.to_ascii_uppercase()).is_none())
            {
                return Err(format!(
                    "partner {id}: {unknown:?} is not a CSENet function"
                ));
            }
            match tribal.format {
                TribalFormat::Csenet if settings.state.fips.is_none() => {
                    return Err(format!(
                        "partner {id} exchanges CSENet: set state.fips, our own FIPS code"
                    ));
                }
                TribalFormat::Xml
                    if settings.state.fips.is_none() && settings.state.tribe_code.is_none() =>
                {
                    return Err(format!(
                        "partner {id} exchanges Tribal documents: set state.fips (or state.tribe_code for a Tribe's gateway)"
                    ));
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn file_formats(&self) -> Vec<&'static dyn crate::files::FileFormat> {
        vec![&files::TribalExchange]
    }
}
