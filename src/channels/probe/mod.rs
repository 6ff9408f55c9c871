//! A channel that exists only in the library's own tests, to show (and keep true) that a
//! new kind of partner is one folder and one line in [`super::all`]: everything it
//! declares reaches the core — its receipt processor, renderer, job, file format, routes
//! and settings rule — with nothing else changed.

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use ivd_fixed::RecordVerdict;

use crate::config::Settings;
use crate::files::FileFormat;
use crate::intake::{Processor, Receipt};
use crate::outbox::render::{RenderError, RenderRequest, Rendered, Renderer};
use crate::reconcile::report::{Findings, Job, JobContext, JobError};
use crate::store::{DbTx, StoreError};
use crate::web::AppState;

/// The pick-up channel its receipts carry.
pub const CHANNEL: &str = "probe-drops";

/// The probe.
#[derive(Clone, Copy, Debug, Default)]
pub struct Probe;

impl super::Channel for Probe {
    fn name(&self) -> &'static str {
        "probe"
    }

    fn check_settings(&self, settings: &Settings) -> Result<(), String> {
        match settings.partner("probe-refused") {
            Some(_) => Err("partner probe-refused: the probe channel refuses this partner".into()),
            None => Ok(()),
        }
    }

    fn processors(
        &self,
        _context: &super::ChannelContext,
    ) -> Vec<(&'static str, Arc<dyn Processor>)> {
        vec![(CHANNEL, Arc::new(ProbeIntake))]
    }

    fn renderers(&self, _settings: &Settings) -> Vec<Arc<dyn Renderer>> {
        vec![Arc::new(ProbeRenderer)]
    }

    fn jobs(&self) -> Vec<Arc<dyn Job>> {
        vec![Arc::new(ProbeJob)]
    }

    fn file_formats(&self) -> Vec<&'static dyn FileFormat> {
        vec![&ProbeLines]
    }

    fn api_routes(&self) -> Router<AppState> {
        Router::new().route("/probe/v1/hello", get(|| async { "probe" }))
    }
}

/// Counts the bytes of a receipt.
struct ProbeIntake;

#[async_trait::async_trait]
impl Processor for ProbeIntake {
    async fn process(
        &self,
        _tx: &mut DbTx,
        receipt: &Receipt,
        _now: i64,
    ) -> Result<String, StoreError> {
        Ok(format!("probe: {} byte(s)", receipt.body.len()))
    }
}

/// Builds nothing it is asked for.
struct ProbeRenderer;

#[async_trait::async_trait]
impl Renderer for ProbeRenderer {
    fn kind(&self) -> &'static str {
        "probe"
    }

    async fn render(
        &self,
        _tx: &mut DbTx,
        request: &RenderRequest<'_>,
    ) -> Result<Rendered, RenderError> {
        Err(RenderError::CauseNotFound {
            kind: request.cause_kind.to_string(),
            id: request.cause_id.to_string(),
        })
    }
}

/// Finds nothing.
#[derive(Debug)]
struct ProbeJob;

#[async_trait::async_trait]
impl Job for ProbeJob {
    fn name(&self) -> &'static str {
        "probe"
    }

    fn description(&self) -> &'static str {
        "The test channel's job: finds nothing."
    }

    async fn run(&self, _context: &JobContext) -> Result<Findings, JobError> {
        Ok(Findings::default())
    }
}

/// Every non-blank line is a valid record.
struct ProbeLines;

impl FileFormat for ProbeLines {
    fn name(&self) -> &'static str {
        "probe-lines"
    }

    fn describe(&self) -> &'static str {
        "the test channel's lines"
    }

    fn check<'a>(&'a self, bytes: &'a [u8]) -> Box<dyn Iterator<Item = RecordVerdict> + 'a> {
        let lines = bytes.split(|b| *b == b'\n').filter(|l| !l.is_empty());
        Box::new(lines.zip(1u64..).map(|(_, n)| RecordVerdict::valid(n)))
    }
}
