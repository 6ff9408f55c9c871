//! What a reconciliation job finds, and the contract every job implements.
//!
//! A job compares what we sent or hold against what a partner acknowledged, holds or paid,
//! and returns a [`Report`]: counts of what it looked at and one [`Discrepancy`] per thing
//! that does not match. A discrepancy says what is wrong, where (partner, message, file or
//! case; a person only masked), since when, and what to do about it (or what the job did).
//! Reports carry no personal data: they are stored, served by the API and downloaded as CSV.
//!
//! **Federal tax information.** A discrepancy derived from FTI (the tax refund offset job's:
//! which person and case OCSE rejected, holds or paid) is marked [`Discrepancy::fti`]. Even
//! masked, it is FTI: who is certified for offset. When a run is stored
//! ([`super::runs::finish`]) those discrepancies are split off ([`Findings::split_fti`]) and
//! sealed with the data keys; the report operators read keeps the counts, the other
//! discrepancies and how many were withheld ([`Findings::fti_withheld`]). Only the
//! `fti-reader` role reads them, each read audited (`fti.read`), through
//! `/fti/v1/reconcile/runs/{id}`. Counts are not FTI: the status, counts and alerts of a run
//! stay visible to operators.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::config::Settings;
use crate::store::{Db, StoreError};

/// One thing that does not reconcile.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Discrepancy {
    /// Stable code (`ACK_OVERDUE`, `CASE_MISSING_AT_PARTNER`, `TRAILER_COUNT`, …); for the
    /// interstate case job, the ICR reason code where one applies.
    pub code: String,
    /// What is wrong, in plain words, never with a personal value.
    pub what: String,
    /// The partner concerned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner: Option<String>,
    /// The message, file, serial or batch concerned (an outbox message id, a receipt id, a
    /// CSENet serial, a file name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// The case concerned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_id: Option<String>,
    /// The person concerned, masked (`***-**-6789`); never a full SSN or a name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person: Option<String>,
    /// Since when it has been so (ms since the epoch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<i64>,
    /// The action suggested, or the one taken when `action_taken`.
    pub action: String,
    /// True when the job took `action` itself (a reminder enqueued, a resend queued).
    #[serde(default)]
    pub action_taken: bool,
    /// True when the discrepancy is derived from federal tax information: stored sealed
    /// apart from the report, shown to the `fti-reader` role only.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub fti: bool,
}

impl Discrepancy {
    /// A discrepancy with a code, a description and a suggested action; the rest is set
    /// with the builder methods.
    pub fn new(
        code: impl Into<String>,
        what: impl Into<String>,
        action: impl Into<String>,
    ) -> Self {
        Discrepancy {
            code: code.into(),
            what: what.into(),
            partner: None,
            reference: None,
            case_id: None,
            person: None,
            since: None,
            action: action.into(),
            action_taken: false,
            fti: false,
        }
    }

    /// The partner concerned.
    pub fn partner(mut self, partner: impl Into<String>) -> Self {
        self.partner = Some(partner.into());
        self
    }

    /// The message, file or serial concerned.
    pub fn reference(mut self, reference: impl Into<String>) -> Self {
        self.reference = Some(reference.into());
        self
    }

    /// The case concerned.
    pub fn case_id(mut self, case_id: impl Into<String>) -> Self {
        self.case_id = Some(case_id.into());
        self
    }

    /// The person concerned, already masked.
    pub fn person(mut self, masked: impl Into<String>) -> Self {
        self.person = Some(masked.into());
        self
    }

    /// Since when.
    pub fn since(mut self, at_ms: i64) -> Self {
        self.since = Some(at_ms);
        self
    }

    /// Marks the action as taken by the job.
    pub fn taken(mut self) -> Self {
        self.action_taken = true;
        self
    }

    /// Marks the discrepancy as federal tax information.
    pub fn fti(mut self) -> Self {
        self.fti = true;
        self
    }
}

/// What one run of a job found.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Findings {
    /// What the job looked at and how it came out (`messagesChecked`, `overdue`, …).
    pub counts: BTreeMap<String, i64>,
    /// Everything that does not reconcile (in a stored report: everything but the FTI).
    pub discrepancies: Vec<Discrepancy>,
    /// In a stored report, the discrepancies left out because they are federal tax
    /// information (sealed apart, see the module documentation).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub fti_withheld: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Findings {
    /// The report anyone with the operator role may read (counts, the discrepancies that
    /// are not FTI, how many were withheld) and, apart, the FTI discrepancies.
    pub fn split_fti(mut self) -> (Findings, Vec<Discrepancy>) {
        let (fti, open): (Vec<Discrepancy>, Vec<Discrepancy>) =
            self.discrepancies.into_iter().partition(|d| d.fti);
        self.discrepancies = open;
        self.fti_withheld += fti.len();
        (self, fti)
    }

    /// The whole report again: the withheld FTI discrepancies put back (for the
    /// `fti-reader` role).
    pub fn with_fti(mut self, fti: Vec<Discrepancy>) -> Findings {
        self.fti_withheld = self.fti_withheld.saturating_sub(fti.len());
        self.discrepancies.extend(fti);
        self
    }

    /// Adds `n` to the count `name`.
    pub fn count(&mut self, name: &str, n: i64) {
        *self.counts.entry(name.to_string()).or_default() += n;
    }

    /// Records a discrepancy.
    pub fn push(&mut self, discrepancy: Discrepancy) {
        self.discrepancies.push(discrepancy);
    }
}

/// Why a job could not run to its end (as opposed to what it found).
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The job cannot run with this configuration or input (a missing directory, an
    /// unreadable extract); the text names the setting or file, never personal data.
    #[error("{0}")]
    Failed(String),
}

/// What every job gets to work with.
#[derive(Clone, Debug)]
pub struct JobContext {
    /// The database.
    pub db: Db,
    /// The gateway's settings.
    pub settings: Arc<Settings>,
    /// The keyed hash of SSNs (for look-ups by person).
    pub lookup_key: crate::privacy::LookupKey,
    /// The data keys (for sealed federal tax information).
    pub data_keys: crate::privacy::DataKeys,
    /// "Now" for this run (ms since the epoch): every "overdue" and "older than" is
    /// measured from it, so a test can run a job at a chosen time.
    pub now: i64,
    /// A dry run only reports: it enqueues nothing and changes nothing.
    pub dry_run: bool,
    /// Wakes the dispatcher after a job enqueued something, when one runs in-process.
    pub dispatcher_wake: Option<Arc<tokio::sync::Notify>>,
}

impl JobContext {
    /// The parameters of job `job` from the configuration, as the job's typed struct
    /// (defaults for the ones not set).
    pub fn parameters<T: serde::de::DeserializeOwned>(&self, job: &str) -> Result<T, JobError> {
        let settings = self.settings.reconcile.job(job);
        super::settings::parameters(&settings.parameters)
            .map_err(|e| JobError::Failed(format!("reconcile.jobs.{job}: {e}")))
    }
}

/// A reconciliation job.
#[async_trait::async_trait]
pub trait Job: Send + Sync + std::fmt::Debug {
    /// Stable name, used in configuration, the CLI and the API (`ack-deadlines`, …).
    fn name(&self) -> &'static str;

    /// One sentence: what the job compares.
    fn description(&self) -> &'static str;

    /// Runs once. Honors `context.dry_run`: a dry run takes no action and changes nothing.
    async fn run(&self, context: &JobContext) -> Result<Findings, JobError>;

    /// Checks the job's parameters from `[reconcile.jobs.NAME]` (everything beside
    /// `schedule` and `enabled`) at start; the error names the parameter. The default
    /// accepts none.
    fn check_parameters(
        &self,
        parameters: &BTreeMap<String, serde_json::Value>,
    ) -> Result<(), String> {
        match parameters.keys().next() {
            None => Ok(()),
            Some(unknown) => Err(format!("unknown parameter {unknown:?}")),
        }
    }
}
