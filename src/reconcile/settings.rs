//! `[reconcile]`: when each job runs and with which parameters.
//!
//! ```toml
//! [reconcile]
//! scheduler = true          # this instance takes part in running scheduled jobs
//! heartbeat_secs = 10       # a running job's worker proves it is alive this often
//! dead_after_secs = 60      # a run without a heartbeat for this long is marked died
//! retention_days = 400      # finished runs and their reports are kept this long
//!
//! [reconcile.jobs.ack-deadlines]
//! schedule = "0 0 6 * * Mon-Fri"   # sec min hour day-of-month month day-of-week (UTC)
//!
//! [reconcile.jobs.outbox-health]
//! schedule = "0 */15 * * * *"
//! stuck_after_secs = 3600          # job parameters sit beside schedule and enabled
//! dead_letter_days = 3
//! ```
//!
//! A job without a `schedule` (or with `enabled = false`) only runs by hand. Schedules and
//! job names are checked at start; each job checks its own parameters
//! ([`super::report::Job::check_parameters`]).

use std::collections::BTreeMap;
use std::str::FromStr;

use serde::Deserialize;

/// Reconciliation settings.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReconcileSettings {
    /// Run scheduled jobs in this instance (every instance may; one runs each tick).
    pub scheduler: bool,
    /// How often the scheduler looks at the clock, in milliseconds.
    pub poll_interval_ms: u64,
    /// How often a running job's heartbeat is written, in seconds.
    pub heartbeat_secs: u64,
    /// A run whose heartbeat is older than this is marked `died`, in seconds.
    pub dead_after_secs: u64,
    /// Finished runs and their reports are kept this many days, then deleted.
    pub retention_days: u64,
    /// Per job (by name): schedule, enabled, parameters.
    pub jobs: BTreeMap<String, JobSettings>,
}

impl Default for ReconcileSettings {
    fn default() -> Self {
        ReconcileSettings {
            scheduler: true,
            poll_interval_ms: 500,
            heartbeat_secs: 10,
            dead_after_secs: 60,
            retention_days: 400,
            jobs: BTreeMap::new(),
        }
    }
}

/// One job's settings.
#[derive(Clone, Debug, Deserialize)]
pub struct JobSettings {
    /// Cron expression with seconds (`sec min hour dom month dow [year]`, UTC); none: the
    /// job runs only by hand.
    #[serde(default)]
    pub schedule: Option<String>,
    /// False: not scheduled (it can still be run by hand).
    #[serde(default = "enabled_default")]
    pub enabled: bool,
    /// The job's own parameters (`dead_letter_days`, …), read by the job.
    #[serde(flatten)]
    pub parameters: BTreeMap<String, serde_json::Value>,
}

fn enabled_default() -> bool {
    true
}

impl Default for JobSettings {
    fn default() -> Self {
        JobSettings {
            schedule: None,
            enabled: true,
            parameters: BTreeMap::new(),
        }
    }
}

/// Parses a schedule; the error says what is wrong with it.
pub fn parse_schedule(text: &str) -> Result<cron::Schedule, String> {
    cron::Schedule::from_str(text).map_err(|e| {
        format!("{text:?} is not a cron schedule (sec min hour day-of-month month day-of-week [year]): {e}")
    })
}

impl ReconcileSettings {
    /// The settings of job `name` (defaults when it has none).
    pub fn job(&self, name: &str) -> JobSettings {
        self.jobs.get(name).cloned().unwrap_or_default()
    }

    /// The schedule of job `name` when it is scheduled and enabled.
    pub fn schedule_of(&self, name: &str) -> Option<cron::Schedule> {
        let job = self.jobs.get(name)?;
        if !job.enabled {
            return None;
        }
        parse_schedule(job.schedule.as_deref()?).ok()
    }

    /// Checks names, schedules, parameters and intervals against the registered jobs.
    pub fn check(&self) -> Result<(), String> {
        if self.heartbeat_secs == 0 || self.poll_interval_ms == 0 {
            return Err(
                "reconcile.heartbeat_secs and reconcile.poll_interval_ms must be positive".into(),
            );
        }
        if self.dead_after_secs < 2 * self.heartbeat_secs {
            return Err(format!(
                "reconcile.dead_after_secs ({}) must be at least twice reconcile.heartbeat_secs ({})",
                self.dead_after_secs, self.heartbeat_secs
            ));
        }
        for (name, settings) in &self.jobs {
            let Some(job) = super::jobs::by_name(name) else {
                let known: Vec<&str> = super::jobs::all().iter().map(|j| j.name()).collect();
                return Err(format!(
                    "reconcile.jobs.{name}: no such job (known: {})",
                    known.join(", ")
                ));
            };
            if let Some(schedule) = &settings.schedule {
                parse_schedule(schedule)
                    .map_err(|e| format!("reconcile.jobs.{name}.schedule: {e}"))?;
            }
            job.check_parameters(&settings.parameters)
                .map_err(|e| format!("reconcile.jobs.{name}: {e}"))?;
        }
        Ok(())
    }
}

/// Reads a job's parameters into its typed struct (which should `deny_unknown_fields`).
pub fn parameters<T: serde::de::DeserializeOwned>(
    parameters: &BTreeMap<String, serde_json::Value>,
) -> Result<T, String> {
    let value = serde_json::Value::Object(parameters.clone().into_iter().collect());
    serde_json::from_value(value).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_with_seconds_parse_and_nonsense_is_refused() {
        assert!(parse_schedule("*/5 * * * * *").is_ok());
        assert!(parse_schedule("0 0 6 * * Mon-Fri").is_ok());
        assert!(parse_schedule("every day").is_err());
    }
}
