//! Starting and stopping a gateway instance: the database, the listeners, the dispatcher,
//! the retention purge, and the order in which they stop.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::config::Settings;
use crate::intake;
use crate::outbox::dispatcher::{self, Dispatcher, DispatcherConfig, PartnerChannel};
use crate::store::{Db, now_ms};
use crate::telemetry::metrics::Metrics;
use crate::web::{self, AppState};

/// A running gateway.
#[derive(Debug)]
pub struct RunningGateway {
    /// Where the API listener is bound.
    pub api_addr: SocketAddr,
    /// Where the partner (mutual TLS) listener is bound.
    pub partner_addr: SocketAddr,
    /// Where the metrics listener is bound, when `server.metrics_listen` is set.
    pub metrics_addr: Option<SocketAddr>,
    /// The shared state (database, metrics, channels).
    pub state: AppState,
    /// Cancel to stop.
    pub shutdown: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
    audit_anchor: Arc<crate::audit::Anchor>,
}

/// The partner listener's certificate files.
#[derive(Clone, Debug)]
pub struct PartnerTlsFiles {
    /// Server certificate chain.
    pub cert: PathBuf,
    /// Server key.
    pub key: PathBuf,
    /// CA of partner client certificates.
    pub client_ca: PathBuf,
}

/// Resolves the partner listener's certificates, generating development ones when none
/// are configured.
pub fn partner_tls_files(settings: &Settings) -> anyhow::Result<PartnerTlsFiles> {
    match (
        &settings.tls.cert,
        &settings.tls.key,
        &settings.tls.client_ca,
    ) {
        (Some(cert), Some(key), Some(ca)) => Ok(PartnerTlsFiles {
            cert: cert.clone(),
            key: key.clone(),
            client_ca: ca.clone(),
        }),
        _ => {
            let dev =
                crate::tls::ensure_dev_certificates(&settings.tls.dir).with_context(|| {
                    format!(
                        "generating development certificates in {}",
                        settings.tls.dir.display()
                    )
                })?;
            tracing::info!(dir = %settings.tls.dir.display(), "Using development certificates for the partner listener.");
            Ok(PartnerTlsFiles {
                cert: dev.server_cert,
                key: dev.server_key,
                client_ca: dev.ca_cert,
            })
        }
    }
}

/// Refuses (or, with `privacy.insecure_key_permissions = "warn"`, logs) TLS private keys
/// other users can reach: the partner listener's key and every partner client key. The
/// look-up and data keys are checked where they are loaded.
fn check_private_keys(settings: &Settings, tls: &PartnerTlsFiles) -> anyhow::Result<()> {
    let policy = settings.privacy.insecure_key_permissions;
    let client_keys = settings
        .partners
        .iter()
        .filter_map(|partner| match &partner.transport {
            Some(crate::config::TransportSettings::Https { client_key, .. }) => {
                client_key.as_deref()
            }
            _ => None,
        });
    for key in std::iter::once(tls.key.as_path()).chain(client_keys) {
        crate::privacy::files::enforce(key, policy)?;
    }
    Ok(())
}

/// Loads the data keys (`privacy.data_key_dir`, a first key is created when there is
/// none) and the audit key (`audit.key_file`, likewise), connects to the database with them
/// (values at rest are sealed and opened by the store, see [`crate::store::sealing`]; audit
/// entries are linked with the audit key, see [`crate::audit`]) and applies migrations.
pub async fn open_database(settings: &Settings) -> anyhow::Result<Db> {
    let data_keys = settings
        .privacy
        .data_keys()
        .context("loading the data keys (privacy.data_key_dir, privacy.data_keys)")?;
    let audit_key = settings
        .audit
        .key(settings.privacy.insecure_key_permissions)
        .context("loading the audit key (audit.key or audit.key_file)")?;
    let db = Db::connect(&settings.database.url)
        .await
        .context("connecting to the database")?
        .with_data_keys(data_keys)
        .with_audit_key(audit_key);
    db.migrate().await.context("applying migrations")?;
    Ok(db)
}

/// Listening sockets bound before the gateway starts, used instead of binding
/// `server.listen` and `server.partner_listen`: for a supervisor that binds the ports itself,
/// or for two gateways that must each know the other's port before either starts (bound at
/// port 0 and held, there is no moment in which another process can take the port).
#[derive(Debug, Default)]
pub struct BoundListeners {
    /// The API listener (plain HTTP).
    pub api: Option<std::net::TcpListener>,
    /// The partner listener (mutual TLS).
    pub partners: Option<std::net::TcpListener>,
}

impl BoundListeners {
    /// Both listeners on the loopback interface, on ports the kernel picks.
    pub fn loopback() -> std::io::Result<BoundListeners> {
        Ok(BoundListeners {
            api: Some(std::net::TcpListener::bind("127.0.0.1:0")?),
            partners: Some(std::net::TcpListener::bind("127.0.0.1:0")?),
        })
    }

    /// Where the partner listener is bound, if it is.
    pub fn partner_addr(&self) -> Option<SocketAddr> {
        self.partners.as_ref().and_then(|l| l.local_addr().ok())
    }
}

/// The listener `bound` if there is one (made non-blocking for tokio), else a new one on
/// `addr`.
async fn listener(
    bound: Option<std::net::TcpListener>,
    addr: SocketAddr,
    what: &str,
) -> anyhow::Result<TcpListener> {
    match bound {
        Some(listener) => {
            listener.set_nonblocking(true)?;
            TcpListener::from_std(listener)
                .with_context(|| format!("taking over the bound {what} listener"))
        }
        None => TcpListener::bind(addr)
            .await
            .with_context(|| format!("binding the {what} listener on {addr}")),
    }
}

impl RunningGateway {
    /// Starts every part of the gateway and returns once the listeners are bound.
    pub async fn start(settings: Settings) -> anyhow::Result<RunningGateway> {
        RunningGateway::start_on(settings, BoundListeners::default()).await
    }

    /// [`RunningGateway::start`] on listeners bound beforehand (those given replace the
    /// configured addresses).
    pub async fn start_on(
        settings: Settings,
        bound: BoundListeners,
    ) -> anyhow::Result<RunningGateway> {
        let settings = Arc::new(settings);
        let db = open_database(&settings).await?;
        let metrics = Arc::new(Metrics::new());
        let channels: Vec<Arc<PartnerChannel>> = if settings.outbox.enabled {
            settings
                .partners
                .iter()
                .filter_map(|p| PartnerChannel::build(p, settings.outbox.batch_size).transpose())
                .map(|channel| channel.map(Arc::new))
                .collect::<Result<_, _>>()?
        } else {
            Vec::new()
        };
        let worker_id = settings
            .outbox
            .worker_id
            .clone()
            .unwrap_or_else(dispatcher::default_worker_id);
        let dispatcher = Dispatcher::new(
            db.clone(),
            channels,
            DispatcherConfig {
                worker_id,
                lease: Duration::from_secs(settings.outbox.lease_secs),
                poll_interval: Duration::from_millis(settings.outbox.poll_interval_ms),
                grace: Duration::from_secs(settings.server.shutdown_grace_secs),
            },
            metrics.clone(),
        );
        // Partner down and back, dead letters (and, from reconciliation, overdue answers
        // and discrepancies) become alerts: logged, and sent to the webhook partners.
        let (alerts, alert_service) =
            crate::alerts::AlertService::new(db.clone(), settings.clone(), dispatcher.waker());
        let dispatcher = dispatcher.with_alerts(alerts.clone());
        let lookup_key = settings
            .privacy
            .lookup_key()
            .context("loading the look-up key (privacy.lookup_key or privacy.lookup_key_file)")?;
        let channel_context = crate::channels::ChannelContext::new(
            db.clone(),
            settings.clone(),
            lookup_key.clone(),
            dispatcher.waker(),
        )?;
        let processors = crate::channels::processors(&channel_context);
        let processors = Arc::new(processors);
        let state = AppState {
            db: db.clone(),
            settings: settings.clone(),
            metrics: metrics.clone(),
            renderers: Arc::new(crate::channels::renderers(&settings)),
            channels: Arc::new(dispatcher.channels().to_vec()),
            dispatcher_wake: dispatcher.waker(),
            processors: processors.clone(),
            lookup_key: lookup_key.clone(),
            data_keys: channel_context.data_keys.clone(),
            alerts,
            token_limits: web::limits::TokenLimits::new(&settings.server),
        };

        // Receipts stored before a crash are processed before new ones arrive.
        let resumed = intake::resume(&db, processors.as_ref(), now_ms()).await?;
        if resumed > 0 {
            tracing::info!(
                resumed,
                "Processed inbound receipts left over from the last run."
            );
        }

        let shutdown = CancellationToken::new();
        let mut tasks = Vec::new();
        // The audit chain's head is anchored outside the database now, at intervals, and
        // at shutdown (see audit::checkpoint).
        let audit_anchor = crate::audit::Anchor::start(&db, &settings.audit)
            .await
            .context("anchoring the audit chain (audit.checkpoint_dir)")?;
        tasks.push(tokio::spawn(audit_anchor.clone().run(shutdown.clone())));
        tasks.push(tokio::spawn(alert_service.run(shutdown.clone())));
        // Bind every listener (and load the certificates and the metrics token) before
        // serving any, so that `/healthz` never answers while another port is not yet there.
        let api_listener = listener(bound.api, settings.server.listen, "API").await?;
        let api_addr = api_listener.local_addr()?;
        let tls_files = partner_tls_files(&settings)?;
        check_private_keys(&settings, &tls_files)?;
        let server_config =
            crate::tls::server_config(&tls_files.cert, &tls_files.key, &tls_files.client_ca)?;
        let partner_listener =
            listener(bound.partners, settings.server.partner_listen, "partner").await?;
        let partner_addr = partner_listener.local_addr()?;
        if let Some(path) = &settings.server.metrics_token_file {
            web::health::read_metrics_token(path)
                .await
                .with_context(|| format!("reading server.metrics_token_file {}", path.display()))?;
        }
        let metrics_listener = match settings.server.metrics_listen {
            Some(addr) => Some(
                TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("binding the metrics listener on {addr}"))?,
            ),
            None => None,
        };
        let metrics_addr = metrics_listener
            .as_ref()
            .map(TcpListener::local_addr)
            .transpose()?;
        let limits = |listener: &'static str| {
            web::listener::ServeOptions::from_settings(&settings.server)
                .count_in(metrics.connections(listener))
        };

        let api_router = web::api_router(state.clone());
        tasks.push(tokio::spawn(serve_plain(
            "API",
            api_listener,
            api_router,
            shutdown.clone(),
            limits("api"),
        )));
        if let Some(listener) = metrics_listener {
            tasks.push(tokio::spawn(serve_plain(
                "metrics",
                listener,
                web::metrics_router(state.clone()),
                shutdown.clone(),
                limits("metrics"),
            )));
        }

        let partner_router = web::partner_router(state.clone());
        let partner_shutdown = shutdown.clone();
        let partner_limits = limits("partner");
        tasks.push(tokio::spawn(async move {
            if let Err(error) = crate::tls::serve_mtls_with_options(
                partner_listener,
                server_config,
                partner_router,
                partner_shutdown,
                partner_limits,
            )
            .await
            {
                tracing::error!(error = %error, "The partner listener failed.");
            }
        }));

        if settings.outbox.enabled {
            tasks.push(tokio::spawn(dispatcher.run(shutdown.clone())));
            tasks.push(tokio::spawn(dispatcher::run_retention(
                db.clone(),
                Duration::from_secs(settings.outbox.retention_days * 86_400),
                Duration::from_secs(settings.outbox.purge_interval_secs.max(1)),
                shutdown.clone(),
            )));
        }

        // Each channel's background work: cycles, forwarders, resumed uploads, retention.
        for channel in crate::channels::all() {
            tasks.extend(channel.start(&channel_context, &shutdown));
        }

        // Reconciliation: scheduled jobs, one instance per tick (see reconcile::scheduler).
        if settings.reconcile.scheduler {
            let runner = crate::reconcile::web::runner(&state);
            tasks.push(tokio::spawn(runner.run_scheduler(shutdown.clone())));
        }

        for partner in &settings.partners {
            if let Some(pickup) = &partner.pickup {
                let pickup = crate::intake::pickup::Pickup {
                    partner: partner.id.clone(),
                    settings: pickup.clone(),
                };
                tasks.push(tokio::spawn(pickup.run(
                    db.clone(),
                    processors.clone(),
                    shutdown.clone(),
                )));
            }
        }

        tracing::info!(api = %api_addr, partners = %partner_addr, metrics = ?metrics_addr, backend = ?db.backend(), "Gateway started.");
        Ok(RunningGateway {
            api_addr,
            partner_addr,
            metrics_addr,
            state,
            shutdown,
            tasks,
            audit_anchor,
        })
    }

    /// Stops claiming, lets in-flight work finish (or releases it), writes the last audit
    /// checkpoint once nothing can append any more, closes the database.
    pub async fn stop(self) {
        self.shutdown.cancel();
        for task in self.tasks {
            let _ = task.await;
        }
        self.audit_anchor.at_shutdown().await;
        self.state.db.close().await;
        tracing::info!("Gateway stopped.");
    }

    /// Runs until SIGTERM or Ctrl-C, then stops.
    pub async fn run_until_signal(self) {
        self.run_until(ShutdownSignal::listen()).await;
    }

    /// Serves until `signal` is received, then stops gracefully. Make the signal before
    /// [`RunningGateway::start`]: from then on a SIGTERM is a graceful stop, even one sent
    /// the moment the gateway first answers.
    pub async fn run_until(self, signal: ShutdownSignal) {
        signal.received().await;
        tracing::info!("Shutdown signal received.");
        self.stop().await;
    }
}

/// Serves a plain-HTTP listener (the API, the metrics) until `shutdown`.
async fn serve_plain(
    name: &'static str,
    listener: TcpListener,
    router: axum::Router,
    shutdown: CancellationToken,
    options: web::listener::ServeOptions,
) {
    let served =
        web::listener::serve(listener, web::listener::Plain, router, shutdown, options).await;
    if let Err(error) = served {
        tracing::error!(listener = name, error = %error, "A listener failed.");
    }
}

/// SIGTERM or SIGINT (Ctrl-C), listened for from the moment it is made. Until a process
/// listens, SIGTERM's default action kills it without a graceful stop; so the `serve`
/// command makes this before it starts the gateway, whose readiness a supervisor may
/// answer with a SIGTERM at once.
pub struct ShutdownSignal {
    #[cfg(unix)]
    signals: Option<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)>,
}

impl ShutdownSignal {
    /// Starts listening.
    pub fn listen() -> ShutdownSignal {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            ShutdownSignal {
                signals: signal(SignalKind::terminate())
                    .and_then(|term| Ok((term, signal(SignalKind::interrupt())?)))
                    .ok(),
            }
        }
        #[cfg(not(unix))]
        {
            ShutdownSignal {}
        }
    }

    /// Waits for the signal.
    pub async fn received(self) {
        #[cfg(unix)]
        if let Some((mut term, mut interrupt)) = self.signals {
            tokio::select! {
                _ = term.recv() => {}
                _ = interrupt.recv() => {}
            }
            return;
        }
        let _ = tokio::signal::ctrl_c().await;
    }
}
