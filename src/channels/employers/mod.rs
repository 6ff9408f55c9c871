//! Employers: new-hire reports in, NDNH transmissions out, matches to noncustodial
//! parents, income withholding orders out and employers' acknowledgments back.
//!
//! The path of one report:
//! 1. [`newhire`]: an employer uploads a file (W4, XX, CSV or XML). Its bytes are spooled
//!    and fsynced before anything reads them; then it is parsed as a stream, in
//!    checkpointed chunks, each record getting a verdict (accepted, invalid, duplicate,
//!    or refused when its FEIN is outside the uploader's scope).
//! 2. [`matching`]: in the same transaction as its verdict, an accepted report whose SSN
//!    (by keyed hash) is a noncustodial parent's on an open case with an order becomes a
//!    "new employer" event for the state system and, when the order has a current
//!    obligation, an income withholding order ([`iwo`]).
//! 3. [`ndnh`]: accepted reports are gathered into SDNH → NDNH transmission files, each
//!    record in exactly one file, and leave through the outbox; NDNH's returns are matched
//!    back to the records they answer.
//! 4. [`iwo`]: e-IWO files go to the employer through the outbox; the employer's
//!    acknowledgment file is taken in, each answer recorded and put on the state feed; an
//!    order still unanswered at its deadline is left open for reconciliation.

pub mod config;
pub mod files;
pub mod iwo;
pub mod jobs;
pub mod matching;
pub mod ndnh;
pub mod newhire;
pub mod pages;
pub mod routes;

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::on_read;
use crate::reconcile::jobs::control_totals::ControlledFile;
use crate::store::{Db, StoreError};

/// Counts for the dashboard and the metrics.
#[derive(Clone, Debug, Default, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EmployerStats {
    /// New-hire records by status.
    pub records: Vec<(String, i64)>,
    /// Accepted records not yet in an NDNH transmission.
    pub awaiting_ndnh: i64,
    /// Withholding orders by status.
    pub orders: Vec<(String, i64)>,
}

/// Reads the counts.
pub async fn stats(db: &Db) -> Result<EmployerStats, StoreError> {
    let records: Vec<(String, i64)> = on_read!(db, c => {
        sqlx::query_as("SELECT status, COUNT(*) FROM new_hire_records GROUP BY status")
            .fetch_all(c)
            .await?
    });
    let (awaiting_ndnh,): (i64,) = on_read!(db, c => {
        sqlx::query_as(
            "SELECT COUNT(*) FROM new_hire_records WHERE status = 'accepted' AND ndnh_batch IS NULL",
        )
        .fetch_one(c)
        .await?
    });
    let orders: Vec<(String, i64)> = on_read!(db, c => {
        sqlx::query_as("SELECT status, COUNT(*) FROM withholding_orders GROUP BY status")
            .fetch_all(c)
            .await?
    });
    Ok(EmployerStats {
        records,
        awaiting_ndnh,
        orders,
    })
}

/// Employers: new-hire reports in (forwarded to NDNH, matched to cases), income
/// withholding orders out, their acknowledgments back.
#[derive(Clone, Copy, Debug, Default)]
pub struct Employers;

#[async_trait::async_trait]
impl super::Channel for Employers {
    fn name(&self) -> &'static str {
        "employers"
    }

    /// NDNH returns and employers' e-IWO acknowledgments are always understood: a file
    /// that arrives is matched to what we sent, or reported as matching nothing.
    fn processors(
        &self,
        context: &super::ChannelContext,
    ) -> Vec<(&'static str, Arc<dyn crate::intake::Processor>)> {
        vec![
            (
                ndnh::RETURNS_CHANNEL,
                Arc::new(ndnh::NdnhReturnIntake {
                    settings: context.settings.clone(),
                    key: context.lookup_key.clone(),
                }),
            ),
            (
                iwo::ACK_CHANNEL,
                Arc::new(iwo::AcknowledgmentIntake {
                    settings: context.settings.clone(),
                }),
            ),
        ]
    }

    fn jobs(&self) -> Vec<Arc<dyn crate::reconcile::report::Job>> {
        vec![Arc::new(jobs::NewHires)]
    }

    fn controlled_files(&self) -> Vec<ControlledFile> {
        vec![
            ControlledFile::Received {
                channel: ndnh::RETURNS_CHANNEL,
                problems: |settings, body| {
                    ivd_newhire::ndnh::read_return(
                        body,
                        settings.employers.ndnh_encoding.encoding(),
                    )
                    .errors
                },
            },
            ControlledFile::Received {
                channel: iwo::ACK_CHANNEL,
                problems: |_, body| ivd_eiwo::read_acknowledgments(body).envelope_errors,
            },
            ControlledFile::Written {
                kind: ndnh::KIND,
                recorded_count: "(SELECT b.record_count FROM ndnh_batches b WHERE b.message_id = m.id)",
                contents: |settings, payload| {
                    let t = ivd_newhire::ndnh::read_transmission(
                        payload,
                        settings.employers.ndnh_encoding.encoding(),
                    );
                    (t.records.len() as i64, t.errors)
                },
            },
            ControlledFile::Written {
                kind: iwo::KIND,
                recorded_count: "(SELECT COUNT(*) FROM withholding_orders w WHERE w.message_id = m.id)",
                contents: |_, payload| {
                    let f = ivd_eiwo::read_iwo_file(payload);
                    (f.iwos().count() as i64, f.envelope_errors)
                },
            },
        ]
    }

    /// The employer API (`/employer/v1/…`, bearer tokens) and the employer pages
    /// (`/employer/…`, signed-in accounts).
    fn api_routes(&self) -> axum::Router<crate::web::AppState> {
        routes::routes().merge(pages::routes())
    }

    /// Only employer partners have FEINs, each valid; the NDNH partner is configured;
    /// batches and the forwarding interval are positive.
    fn check_settings(&self, settings: &crate::config::Settings) -> Result<(), String> {
        for partner in &settings.partners {
            if let Some(employer) = &partner.employer {
                if partner.kind != crate::config::PartnerKind::Employer {
                    return Err(format!(
                        "partner {}: only an employer partner has FEINs",
                        partner.id
                    ));
                }
                if let Some(bad) = employer
                    .feins
                    .iter()
                    .find(|f| ivd_model::Fein::parse(f).is_err())
                {
                    return Err(format!(
                        "partner {}: {bad:?} is not a valid FEIN",
                        partner.id
                    ));
                }
            }
        }
        if let Some(ndnh) = &settings.employers.ndnh_partner
            && settings.partner(ndnh).is_none()
        {
            return Err(format!(
                "employers.ndnh_partner {ndnh:?} is not a configured partner"
            ));
        }
        if settings.employers.ndnh_batch_size == 0 || settings.employers.forward_interval_secs == 0
        {
            return Err(
                "employers.ndnh_batch_size and employers.forward_interval_secs must be positive"
                    .into(),
            );
        }
        Ok(())
    }

    fn file_formats(&self) -> Vec<&'static dyn crate::files::FileFormat> {
        vec![&files::NewHireFiles, &files::EiwoAcknowledgments]
    }

    /// New-hire uploads interrupted by a crash continue from their checkpoint (in the
    /// background: a million-record file must not hold the listeners back); records past
    /// their retention are purged; accepted records are forwarded to NDNH when a partner
    /// is configured for it.
    fn start(
        &self,
        context: &super::ChannelContext,
        shutdown: &CancellationToken,
    ) -> Vec<JoinHandle<()>> {
        let settings = &context.settings;
        let new_hires = newhire::NewHireIntake {
            db: context.db.clone(),
            settings: settings.clone(),
            key: context.lookup_key.clone(),
        };
        let mut tasks = vec![tokio::spawn(async move {
            match new_hires.resume(crate::store::now_ms()).await {
                Ok(0) => {}
                Ok(resumed) => tracing::info!(
                    resumed,
                    "Finished new-hire uploads left over from the last run."
                ),
                Err(error) => {
                    tracing::error!(error = %error, "Resuming a new-hire upload failed; it is retried at the next start.")
                }
            }
        })];
        tasks.push(tokio::spawn(newhire::run_retention(
            context.db.clone(),
            Duration::from_secs(settings.employers.retention_days * 86_400),
            Duration::from_secs(settings.outbox.purge_interval_secs.max(1)),
            shutdown.clone(),
        )));
        if settings.employers.ndnh_partner.is_some() {
            let forwarder = ndnh::NdnhForwarder {
                db: context.db.clone(),
                settings: settings.clone(),
                dispatcher_wake: context.dispatcher_wake.clone(),
            };
            tasks.push(tokio::spawn(forwarder.run(shutdown.clone())));
        }
        tasks
    }

    /// New-hire records by status, those awaiting NDNH, withholding orders by status.
    async fn refresh_metrics(
        &self,
        db: &Db,
        metrics: &crate::telemetry::metrics::Metrics,
    ) -> Result<(), StoreError> {
        use crate::telemetry::metrics::StatusLabel;
        let employers = stats(db).await?;
        for status in ["accepted", "invalid", "duplicate", "refused"] {
            let count = employers
                .records
                .iter()
                .find(|(s, _)| s == status)
                .map_or(0, |(_, n)| *n);
            metrics
                .new_hire_records
                .get_or_create(&StatusLabel { status })
                .set(count);
        }
        metrics.new_hires_awaiting_ndnh.set(employers.awaiting_ndnh);
        for status in ["sent", "accepted", "rejected"] {
            let count = employers
                .orders
                .iter()
                .find(|(s, _)| s == status)
                .map_or(0, |(_, n)| *n);
            metrics
                .withholding_orders
                .get_or_create(&StatusLabel { status })
                .set(count);
        }
        Ok(())
    }

    /// The participants of changed cases are indexed for new-hire matching.
    async fn cases_changed(
        &self,
        tx: &mut crate::store::DbTx,
        lookup_key: &crate::privacy::LookupKey,
        changed: &[(&ivd_model::Case, bool)],
    ) -> Result<(), StoreError> {
        matching::index_cases(tx, lookup_key, changed).await
    }
}
