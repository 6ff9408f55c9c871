//! `ack-deadlines`: the business acknowledgments and answers partners owe us, past due.
//!
//! Every outbound message that needs an answer recorded a deadline when it was enqueued
//! ([`crate::reconcile::deadlines`]); an answer satisfies it. Each open deadline whose due
//! time has passed is one `ACK_OVERDUE` discrepancy. Where the format has a reminder the
//! job sends one, once per deadline:
//!
//! - CSENet has the action `M` ("reminder, response overdue"), valid only for some
//!   functions (PAT, EST, ENF; checked with [`ivd_csenet::codes::is_valid_far`]). For an
//!   overdue CSENet answer to a message the partner has (delivered; a dead letter is
//!   reported with the advice to redeliver it instead) the job rebuilds the original request's function with action
//!   `M` from the current case, enqueues it with the next serial number, and records the
//!   reminder (`reconcile_reminders`, one row per deadline) in the same transaction. A
//!   later run reports the deadline again, saying a reminder was already sent. The
//!   reminder is audited (`reconcile.reminder`) in the same transaction.
//! - Any other function or format: the deadline is only reported, with the suggestion to
//!   follow up with the partner.
//!
//! A dry run sends nothing and says what it would send.

use serde::Deserialize;

use crate::channels::interstate::CsenetParameters;
use crate::channels::interstate::outbound::{self, CsenetRenderer};
use crate::outbox::render::{RenderRequest, Renderer};
use crate::reconcile::deadlines::{self, Deadline};
use crate::reconcile::report::{Discrepancy, Findings, Job, JobContext, JobError};
use crate::store::{StoreError, requests};
use crate::{on_read, on_tx};

/// The job.
#[derive(Debug)]
pub struct AckDeadlines;

/// Parameters (`[reconcile.jobs.ack-deadlines]`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Parameters {
    /// Send reminders where the format has them (false: only report).
    pub reminders: bool,
}

impl Default for Parameters {
    fn default() -> Self {
        Parameters { reminders: true }
    }
}

const NAME: &str = "ack-deadlines";

/// A reminder that can be sent for a deadline.
struct ReminderPlan {
    case_id: String,
    partner: String,
    parameters: CsenetParameters,
}

/// What became of a reminder.
enum Sent {
    Enqueued(i64),
    AlreadySent(i64),
}

#[async_trait::async_trait]
impl Job for AckDeadlines {
    fn name(&self) -> &'static str {
        NAME
    }

    fn description(&self) -> &'static str {
        "Acknowledgments and answers partners owe us that are past due; CSENet reminders (action M) where valid."
    }

    fn check_parameters(
        &self,
        parameters: &std::collections::BTreeMap<String, serde_json::Value>,
    ) -> Result<(), String> {
        crate::reconcile::settings::parameters::<Parameters>(parameters).map(|_| ())
    }

    async fn run(&self, context: &JobContext) -> Result<Findings, JobError> {
        let parameters: Parameters = context.parameters(NAME)?;
        let mut findings = Findings::default();
        let (open,): (i64,) = on_read!(&context.db, c => {
            sqlx::query_as("SELECT COUNT(*) FROM ack_deadlines WHERE satisfied_at IS NULL")
                .fetch_one(c)
                .await
                .map_err(StoreError::from)?
        });
        findings.count("openDeadlines", open);
        findings.count("overdue", 0);
        findings.count("remindersEnqueued", 0);
        findings.count("remindersSentBefore", 0);
        let overdue = deadlines::overdue(&context.db, context.now).await?;
        if !context.dry_run {
            raise_alerts(context, &overdue).await?;
        }
        for deadline in overdue {
            findings.count("overdue", 1);
            let mut discrepancy = Discrepancy::new(
                "ACK_OVERDUE",
                format!(
                    "{} owed for {}{} is overdue",
                    deadline.kind,
                    deadline.reference,
                    deadline
                        .message_id
                        .map(|id| format!(" (message {id})"))
                        .unwrap_or_default()
                ),
                "",
            )
            .partner(deadline.partner.clone())
            .reference(deadline.reference.clone())
            .since(deadline.due_at);
            if let Some(case) = &deadline.case_id {
                discrepancy = discrepancy.case_id(case.clone());
            }
            discrepancy = if !deadline.kind.starts_with("csenet.") {
                with_action(
                    discrepancy,
                    "follow up with the partner (the format has no reminder transaction)",
                )
            } else if !parameters.reminders {
                with_action(
                    discrepancy,
                    "follow up with the partner (reminders are off)",
                )
            } else if let Some(message) = reminder_sent(context, deadline.id).await? {
                findings.count("remindersSentBefore", 1);
                with_action(
                    discrepancy,
                    format!(
                        "a reminder was sent earlier (message {message}); follow up with the partner"
                    ),
                )
            } else {
                match plan_reminder(context, &deadline).await? {
                    Err(why) => {
                        with_action(discrepancy, format!("follow up with the partner ({why})"))
                    }
                    Ok(plan) if context.dry_run => with_action(
                        discrepancy,
                        format!(
                            "send a CSENet reminder ({} M); a real run enqueues it",
                            plan.parameters.function
                        ),
                    ),
                    Ok(plan) => match send_reminder(context, &deadline, &plan).await? {
                        Ok(Sent::Enqueued(message)) => {
                            findings.count("remindersEnqueued", 1);
                            with_action(
                                discrepancy,
                                format!(
                                    "CSENet reminder ({} M) enqueued as message {message}",
                                    plan.parameters.function
                                ),
                            )
                            .taken()
                        }
                        Ok(Sent::AlreadySent(message)) => {
                            findings.count("remindersSentBefore", 1);
                            with_action(
                                discrepancy,
                                format!(
                                    "a reminder was sent earlier (message {message}); follow up with the partner"
                                ),
                            )
                        }
                        Err(why) => with_action(
                            discrepancy,
                            format!(
                                "follow up with the partner (the reminder cannot be built: {why})"
                            ),
                        ),
                    },
                }
            };
            findings.push(discrepancy);
        }
        if findings
            .counts
            .get("remindersEnqueued")
            .copied()
            .unwrap_or(0)
            > 0
            && let Some(wake) = &context.dispatcher_wake
        {
            wake.notify_one();
        }
        Ok(findings)
    }
}

/// An overdue answer is an alert (sent once, however many runs find it); an alert whose
/// answer has since arrived is resolved.
async fn raise_alerts(
    context: &JobContext,
    overdue: &[deadlines::Deadline],
) -> Result<(), StoreError> {
    use crate::alerts::{self, Signal};
    for deadline in overdue {
        let signal = Signal::AckOverdue {
            partner: deadline.partner.clone(),
            reference: deadline.reference.clone(),
            kind: deadline.kind.clone(),
        };
        alerts::apply(&context.db, &context.settings, &signal, context.now).await?;
    }
    for alert in alerts::list(&context.db, Some("firing"), 10_000).await? {
        // Keys are `ack-overdue:<partner>:<kind>:<reference>`; partner ids and kinds hold
        // no colon, a reference may.
        let Some(rest) = alert.key.strip_prefix("ack-overdue:") else {
            continue;
        };
        let mut parts = rest.splitn(3, ':');
        let (Some(partner), Some(kind), Some(reference)) =
            (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let answered = deadlines::for_reference(&context.db, reference)
            .await?
            .iter()
            .any(|d| d.partner == partner && d.kind == kind && d.satisfied_at.is_some());
        if answered {
            let signal = Signal::AckReceived {
                partner: partner.to_string(),
                reference: reference.to_string(),
                kind: kind.to_string(),
            };
            alerts::apply(&context.db, &context.settings, &signal, context.now).await?;
        }
    }
    if let Some(wake) = &context.dispatcher_wake {
        wake.notify_one();
    }
    Ok(())
}

fn with_action(mut discrepancy: Discrepancy, action: impl Into<String>) -> Discrepancy {
    discrepancy.action = action.into();
    discrepancy
}

/// The message of the reminder already sent for deadline `id`.
async fn reminder_sent(context: &JobContext, id: i64) -> Result<Option<i64>, StoreError> {
    let row: Option<(i64,)> = on_read!(&context.db, c => {
        sqlx::query_as("SELECT message_id FROM reconcile_reminders WHERE deadline_id = $1")
            .bind(id)
            .fetch_optional(c)
            .await?
    });
    Ok(row.map(|(m,)| m))
}

/// Works out whether a CSENet reminder can be sent for `deadline`; the error says why not.
async fn plan_reminder(
    context: &JobContext,
    deadline: &Deadline,
) -> Result<Result<ReminderPlan, String>, StoreError> {
    let Some(message_id) = deadline.message_id else {
        return Ok(Err("the message that asked is no longer stored".into()));
    };
    let cause: Option<(String, String, String)> = on_read!(&context.db, c => {
        sqlx::query_as("SELECT cause_kind, cause_id, state FROM outbox_messages WHERE id = $1")
            .bind(message_id)
            .fetch_optional(c)
            .await?
    });
    let Some((cause_kind, cause_id, state)) = cause else {
        return Ok(Err("the message that asked is no longer stored".into()));
    };
    // A reminder about a message the partner never received makes no sense.
    match state.as_str() {
        "delivered" => {}
        "dead" => {
            return Ok(Err(format!(
                "message {message_id} was never delivered: it is a dead letter; redeliver or replay it"
            )));
        }
        _ => {
            return Ok(Err(format!(
                "message {message_id} is not delivered yet ({state})"
            )));
        }
    }
    let Ok(request_id) = cause_id.parse::<i64>() else {
        return Ok(Err(
            "the message was not built from a transaction request".into()
        ));
    };
    if cause_kind != outbound::CAUSE {
        return Ok(Err(
            "the message was not built from a transaction request".into()
        ));
    }
    let request: Option<requests::TransactionRequest> = on_read!(&context.db, c => {
        sqlx::query_as::<_, requests::TransactionRequest>(
            "SELECT id, case_id, partner, format, parameters, created_at FROM transaction_requests WHERE id = $1",
        )
        .bind(request_id)
        .fetch_optional(c)
        .await?
    });
    let Some(request) = request else {
        return Ok(Err("the transaction request is no longer stored".into()));
    };
    let Ok(original) = serde_json::from_str::<CsenetParameters>(&request.parameters) else {
        return Ok(Err("the stored request cannot be read".into()));
    };
    let function = ivd_csenet::FunctionCode::parse(&original.function.to_ascii_uppercase());
    if !ivd_csenet::codes::is_valid_far(&function, &ivd_csenet::ActionCode::Reminder, "") {
        return Ok(Err(format!(
            "CSENet has no reminder for function {}",
            original.function.to_ascii_uppercase()
        )));
    }
    let Some(agreement) = context
        .settings
        .partner(&request.partner)
        .and_then(|p| p.interstate.as_ref())
    else {
        return Ok(Err("the partner no longer has a CSENet agreement".into()));
    };
    let parameters = CsenetParameters {
        function: original.function.to_ascii_uppercase(),
        action: "M".into(),
        reason: String::new(),
        other_case_id: original.other_case_id.clone(),
    };
    if let Err(rule) = parameters.check(agreement) {
        return Ok(Err(rule));
    }
    Ok(Ok(ReminderPlan {
        case_id: request.case_id,
        partner: request.partner,
        parameters,
    }))
}

/// Stores the reminder request, builds and enqueues it, and records it against the
/// deadline, in one transaction. Another run that sent one first wins (nothing is sent).
async fn send_reminder(
    context: &JobContext,
    deadline: &Deadline,
    plan: &ReminderPlan,
) -> Result<Result<Sent, String>, StoreError> {
    let Some(renderer) = CsenetRenderer::from_settings(&context.settings) else {
        return Ok(Err("state.fips is not set".into()));
    };
    let mut tx = context.db.begin().await?;
    let parameters =
        serde_json::to_value(&plan.parameters).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let request_id = requests::insert(
        &mut tx,
        &plan.case_id,
        &plan.partner,
        CsenetRenderer::KIND,
        &parameters,
        context.now,
    )
    .await?;
    let cause_id = request_id.to_string();
    let rendered = match renderer
        .render(
            &mut tx,
            &RenderRequest {
                partner: &plan.partner,
                cause_kind: outbound::CAUSE,
                cause_id: &cause_id,
                replay: 0,
                max_attempts: context.settings.max_attempts_for(&plan.partner),
                now: context.now,
            },
        )
        .await
    {
        Ok(rendered) => rendered,
        Err(crate::outbox::render::RenderError::Store(e)) => return Err(e),
        Err(other) => return Ok(Err(other.to_string())),
    };
    let message = rendered.enqueue(&mut tx, context.now).await?.id();
    let recorded = on_tx!(&mut tx, c => {
        sqlx::query(
            "INSERT INTO reconcile_reminders (deadline_id, message_id, sent_at) VALUES ($1, $2, $3) \
             ON CONFLICT (deadline_id) DO NOTHING",
        )
        .bind(deadline.id)
        .bind(message)
        .bind(context.now)
        .execute(c)
        .await?
        .rows_affected()
    });
    if recorded == 0 {
        drop(tx);
        let earlier = reminder_sent(context, deadline.id)
            .await?
            .unwrap_or(message);
        return Ok(Ok(Sent::AlreadySent(earlier)));
    }
    // The reminder discloses the case to the partner: audited with the enqueue.
    crate::audit::append(
        &mut tx,
        &crate::audit::NewEntry {
            actor: "system",
            action: "reconcile.reminder",
            subject: &format!("message:{message}"),
            reason: None,
            details: serde_json::json!({
                "job": NAME,
                "deadline": deadline.id,
                "partner": plan.partner,
                "reference": deadline.reference,
                "function": plan.parameters.function,
                "action": "M",
            }),
        },
        context.now,
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(Sent::Enqueued(message)))
}
