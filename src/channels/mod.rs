//! Partner channels: one folder per kind of partner, and one line per channel in [`all`].
//!
//! A channel brings everything the gateway needs to exchange with one kind of partner, and
//! the core (intake, outbox, reconciliation, the file commands, the web listeners) names
//! none of them: it asks the registry. A channel implements [`Channel`]:
//!
//! | what | method | the core that uses it |
//! |---|---|---|
//! | rules its settings must follow | [`Channel::check_settings`] | [`crate::config`] |
//! | receipt processors, by pick-up or partner channel | [`Channel::processors`] | [`crate::intake`] |
//! | renderers of outbound messages, by kind | [`Channel::renderers`] | [`crate::outbox`] |
//! | reconciliation jobs | [`Channel::jobs`] | [`crate::reconcile`] |
//! | files with control records, checked by `control-totals` | [`Channel::controlled_files`] | [`crate::reconcile`] |
//! | file formats for `check` and `convert` | [`Channel::file_formats`] | [`crate::files`] |
//! | HTTP routes on the partner (mutual TLS) and API listeners | [`Channel::partner_routes`], [`Channel::api_routes`] | [`crate::web`] |
//! | background work (cycles, forwarders, resumed uploads, retention) | [`Channel::start`] | [`crate::app`] |
//! | its figures on `/metrics` | [`Channel::refresh_metrics`] | [`crate::telemetry`] |
//! | what happens when the state system pushes cases | [`Channel::cases_changed`] | [`crate::web`] |
//!
//! Every method has a default that contributes nothing, so a channel says only what it
//! does. Adding a kind of partner is one folder here and one line in [`all`].
//!
//! ```
//! let names: Vec<&str> = ivd_gateway::channels::all().iter().map(|c| c.name()).collect();
//! assert!(names.contains(&"interstate"));
//! ```

pub mod employers;
pub mod fidm;
pub mod interstate;
pub mod offset;
#[cfg(test)]
mod probe;
pub mod tribal;

use std::sync::Arc;

use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::config::Settings;
use crate::files::FileFormat;
use crate::intake::Processor;
use crate::outbox::render::{Renderer, Renderers};
use crate::privacy::{DataKeys, LookupKey};
use crate::reconcile::jobs::control_totals::ControlledFile;
use crate::reconcile::report::Job;
use crate::store::{Db, DbTx, StoreError};
use crate::web::AppState;

/// Every channel the gateway has, in the order they are listed.
pub fn all() -> Vec<Arc<dyn Channel>> {
    #[allow(unused_mut)]
    let mut channels: Vec<Arc<dyn Channel>> = vec![
        Arc::new(interstate::Interstate),
        Arc::new(tribal::Tribal),
        Arc::new(employers::Employers),
        Arc::new(offset::Offset),
        Arc::new(fidm::Fidm),
    ];
    // The library's own tests add a channel the way a new kind of partner is added.
    #[cfg(test)]
    channels.push(Arc::new(probe::Probe));
    channels
}

/// What a channel is given when the gateway starts.
#[derive(Clone)]
pub struct ChannelContext {
    /// The database.
    pub db: Db,
    /// The settings the gateway started with.
    pub settings: Arc<Settings>,
    /// The keyed hash of SSNs (matching, duplicates).
    pub lookup_key: LookupKey,
    /// Data keys sealing federal tax information at rest.
    pub data_keys: DataKeys,
    /// Wakes the outbox's dispatcher after an enqueue outside a request.
    pub dispatcher_wake: Arc<Notify>,
}

impl ChannelContext {
    /// The context of a gateway on `db`; fails when the database has no data keys.
    pub fn new(
        db: Db,
        settings: Arc<Settings>,
        lookup_key: LookupKey,
        dispatcher_wake: Arc<Notify>,
    ) -> anyhow::Result<Self> {
        use anyhow::Context as _;
        let data_keys = db
            .sealer()
            .keys()
            .cloned()
            .context("the database has no data keys attached")?;
        Ok(ChannelContext {
            db,
            settings,
            lookup_key,
            data_keys,
            dispatcher_wake,
        })
    }
}

/// One kind of partner, as the core sees it. See the module documentation.
#[async_trait::async_trait]
pub trait Channel: Send + Sync {
    /// The channel's name (lower case, as in logs).
    fn name(&self) -> &'static str;

    /// Checks this channel's settings (once, at start, after the gateway's own rules);
    /// the error names the setting and what it must be.
    fn check_settings(&self, _settings: &Settings) -> Result<(), String> {
        Ok(())
    }

    /// The processors of what arrives for this channel, each with the name of the channel
    /// its receipts carry (a pick-up's `channel`, or the partner route's).
    fn processors(&self, _context: &ChannelContext) -> Vec<(&'static str, Arc<dyn Processor>)> {
        Vec::new()
    }

    /// The renderers of the messages this channel sends, for the kinds the configuration
    /// enables.
    fn renderers(&self, _settings: &Settings) -> Vec<Arc<dyn Renderer>> {
        Vec::new()
    }

    /// The reconciliation jobs this channel adds.
    fn jobs(&self) -> Vec<Arc<dyn Job>> {
        Vec::new()
    }

    /// The files with control records this channel receives or writes, for the
    /// `control-totals` job.
    fn controlled_files(&self) -> Vec<ControlledFile> {
        Vec::new()
    }

    /// The file formats this channel adds to `check` and `convert`.
    fn file_formats(&self) -> Vec<&'static dyn FileFormat> {
        Vec::new()
    }

    /// Routes on the partner listener (mutual TLS; the certificate names the partner).
    fn partner_routes(&self) -> axum::Router<AppState> {
        axum::Router::new()
    }

    /// Routes on the API listener (bearer tokens and operator sessions).
    fn api_routes(&self) -> axum::Router<AppState> {
        axum::Router::new()
    }

    /// Starts this channel's background work; every task ends when `shutdown` is
    /// cancelled.
    fn start(
        &self,
        _context: &ChannelContext,
        _shutdown: &CancellationToken,
    ) -> Vec<JoinHandle<()>> {
        Vec::new()
    }

    /// Sets this channel's figures before `/metrics` answers (its families are declared
    /// in [`crate::telemetry::metrics::Metrics`]).
    async fn refresh_metrics(
        &self,
        _db: &Db,
        _metrics: &crate::telemetry::metrics::Metrics,
    ) -> Result<(), StoreError> {
        Ok(())
    }

    /// Runs in the transaction that stores cases the state system pushed, after they are
    /// stored (for example to index them for matching): each changed case once, as it was
    /// left, marked `true` when an earlier version of it was stored before.
    async fn cases_changed(
        &self,
        _tx: &mut DbTx,
        _lookup_key: &LookupKey,
        _changed: &[(&ivd_model::Case, bool)],
    ) -> Result<(), StoreError> {
        Ok(())
    }
}

/// The processors of every channel, by the channel their receipts carry.
pub fn processors(context: &ChannelContext) -> crate::intake::Processors {
    let mut processors = crate::intake::Processors::default();
    for channel in all() {
        for (name, processor) in channel.processors(context) {
            processors.register(name, processor);
        }
    }
    processors
}

/// The built-in renderers plus those every channel enables for `settings`.
pub fn renderers(settings: &Settings) -> Renderers {
    let mut renderers = Renderers::builtin();
    for channel in all() {
        for renderer in channel.renderers(settings) {
            renderers.register(renderer);
        }
    }
    renderers
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use tower::ServiceExt as _;

    use super::*;

    #[test]
    fn channel_names_are_unique() {
        let mut names: Vec<&str> = all().iter().map(|c| c.name()).collect();
        let count = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), count);
    }

    /// The probe channel (`channels/probe/`, compiled into the library's tests only) is
    /// registered by one line in `all()`; everything it declares reaches the core.
    #[tokio::test]
    async fn a_channel_registered_in_one_line_reaches_every_part_of_the_core() {
        assert!(
            crate::files::format("probe-lines").is_some(),
            "file commands"
        );
        assert!(crate::reconcile::jobs::by_name("probe").is_some(), "jobs");
        assert!(
            renderers(&Settings::default()).get("probe").is_ok(),
            "renderers"
        );
        let refused =
            Settings::from_toml("[[partners]]\nid = \"probe-refused\"\nkind = \"state\"\n")
                .unwrap_err()
                .to_string();
        assert!(refused.contains("the probe channel refuses"), "{refused}");

        let dir = tempfile::tempdir().unwrap();
        let db = Db::connect(&format!("sqlite:{}", dir.path().join("probe.db").display()))
            .await
            .unwrap();
        db.migrate().await.unwrap();
        let db = db.with_data_keys(DataKeys::from_hex([("1", "11".repeat(32).as_str())]).unwrap());
        let settings = Arc::new(Settings::default());
        let context = ChannelContext::new(
            db,
            settings.clone(),
            LookupKey::from_hex(&"22".repeat(32)).unwrap(),
            Arc::new(Notify::new()),
        )
        .unwrap();
        let processors = processors(&context);
        assert!(format!("{processors:?}").contains(probe::CHANNEL), "intake");

        let (alerts, _service) = crate::alerts::AlertService::new(
            context.db.clone(),
            settings.clone(),
            context.dispatcher_wake.clone(),
        );
        let state = crate::web::AppState {
            db: context.db.clone(),
            settings: settings.clone(),
            metrics: Arc::new(crate::telemetry::metrics::Metrics::new()),
            renderers: Arc::new(renderers(&settings)),
            channels: Arc::new(Vec::new()),
            dispatcher_wake: context.dispatcher_wake.clone(),
            processors: Arc::new(processors),
            lookup_key: context.lookup_key.clone(),
            data_keys: context.data_keys.clone(),
            alerts,
            token_limits: crate::web::limits::TokenLimits::new(&settings.server),
        };
        let response = crate::web::api_router(state)
            .oneshot(
                axum::http::Request::get("/probe/v1/hello")
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(response.status(), axum::http::StatusCode::OK, "routes");
    }
}
