//! The web gateway: serves the single-page app, its `/pkg` assets and `public/` files, and the
//! server functions at `/api/{fn}`, backed by a connection to LND — or, when no `lightning_host`
//! is configured, to an embedded simulated node (simnode) reached over TLS + macaroon exactly
//! like a real LND.
//!
//! The services come from [`crate::context::Services`], as for the CLI; what is built here is
//! the gateway's own: the listener, the embedded node, the live event feed and the router.

mod admin;
mod auto_print;
mod backend;
mod closing_files;
mod error;
mod feed;
mod guard;
mod headers;
mod invoice_files;
mod lightning;
mod listener;
mod live;
mod mail_worker;
mod metrics;
mod node_setup;
mod notice_words;
mod pairing;
mod pos;
mod public;
mod reload;
mod routes;
mod site;
mod staff;
mod state;
mod tills;
mod web_error;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use secrecy::{ExposeSecret, SecretString};

use crate::auth::AuthService;
use crate::config::{EnvVars, Home, Settings, SettingsHub};
use crate::context::Services;
use crate::invoices::InvoiceService;
use crate::store::Store;
use crate::tracker::TrackerConfig;

pub use error::GatewayError;
pub use feed::EventFeed;
pub use lightning::NodeKind;
use site::site_root_from_env;

/// Folder of the embedded simnode inside the data directory.
pub const SIMNODE_DIR: &str = "simnode";

/// How often the live event feed looks for new events in the database.
const FEED_POLL: Duration = Duration::from_millis(100);

/// How long in-flight requests get to finish after a shutdown was requested.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Environment variable: name of the admin account `serve` creates when there is none yet.
pub const ADMIN_USER_ENV: &str = "OPENFATTURE_ADMIN_USER";
/// Environment variable: that admin's password (or PIN).
pub const ADMIN_PASSWORD_ENV: &str = "OPENFATTURE_ADMIN_PASSWORD";

/// Options of `openfatture serve`.
#[derive(Debug, Clone)]
pub struct ServeArgs {
    /// Address the web UI listens on.
    pub listen: SocketAddr,
    /// Data directory of the embedded simnode; `None` means `simnode/` in the data directory.
    pub simnode_data_dir: Option<PathBuf>,
    /// The admin account to create when no staff account exists yet.
    pub first_admin: Option<FirstAdmin>,
}

/// The first admin account, from `OPENFATTURE_ADMIN_USER` / `OPENFATTURE_ADMIN_PASSWORD`.
#[derive(Debug, Clone)]
pub struct FirstAdmin {
    /// Login name.
    pub username: String,
    /// Password or PIN.
    pub password: SecretString,
}

impl FirstAdmin {
    /// Both variables set and non-empty → the account to create.
    pub fn from_env(env: &EnvVars) -> Option<FirstAdmin> {
        let username = env.get(ADMIN_USER_ENV).filter(|v| !v.is_empty())?;
        let password = env.get(ADMIN_PASSWORD_ENV).filter(|v| !v.is_empty())?;
        Some(FirstAdmin {
            username: username.to_string(),
            password: SecretString::from(password.to_string()),
        })
    }
}

/// A started gateway: the web server and the node connection behind it.
pub struct RunningGateway {
    local_addr: SocketAddr,
    https: bool,
    data_dir: PathBuf,
    node: lightning::NodeConnection,
    store: Store,
    /// Applies settings changes; owns the tracker, the dispatcher and the liquidity manager.
    reloader: std::sync::Arc<reload::Reloader>,
    feed: std::sync::Arc<EventFeed>,
    closing: tokio::sync::watch::Sender<bool>,
    setup_token: Option<SecretString>,
    stop: oneshot::Sender<()>,
    server: JoinHandle<std::io::Result<()>>,
}

impl RunningGateway {
    /// The address the web server listens on (the real port when `:0` was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The one-time link that creates the first admin account, when no staff account existed at start.
    pub fn setup_url(&self) -> Option<String> {
        self.setup_token
            .as_ref()
            .map(|token| format!("{}/setup?token={}", self.base_url(), token.expose_secret()))
    }

    /// `http://addr` or `https://addr`.
    pub fn base_url(&self) -> String {
        format!("{}://{}", if self.https { "https" } else { "http" }, self.local_addr)
    }

    /// Which node the gateway talks to.
    pub fn node_kind(&self) -> &NodeKind {
        self.node.kind()
    }

    /// Stops the web server (letting in-flight requests finish) and then the embedded node, if any.
    pub async fn shutdown(self) -> Result<(), GatewayError> {
        let RunningGateway {
            node,
            data_dir,
            store,
            reloader,
            feed,
            closing,
            stop,
            mut server,
            ..
        } = self;
        // Live event streams end first, then the server stops taking requests.
        let _ = closing.send(true);
        // The server may already have stopped; then nobody listens and that is fine.
        let _ = stop.send(());
        let result = match tokio::time::timeout(SHUTDOWN_GRACE, &mut server).await {
            Ok(joined) => flatten_server_result(joined),
            Err(_elapsed) => {
                tracing::warn!(
                    "web server did not finish its requests within {} s; closing them",
                    SHUTDOWN_GRACE.as_secs()
                );
                server.abort();
                Ok(())
            }
        };
        reloader.stop().await;
        if let Ok(feed) = std::sync::Arc::try_unwrap(feed) {
            feed.stop().await;
        }
        store.close().await;
        stop_node(node, &data_dir).await;
        result
    }
}

fn flatten_server_result(joined: Result<std::io::Result<()>, tokio::task::JoinError>) -> Result<(), GatewayError> {
    match joined {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(GatewayError::Serve(e)),
        Err(e) => Err(GatewayError::ServerTask(e.to_string())),
    }
}

/// Binds `args.listen`, connects to the node (starting the embedded simnode when `lightning_host`
/// is not set) and starts serving the site found at `site_root`. Returns once the server accepts
/// connections.
pub async fn start(
    settings: &Settings,
    home: &Home,
    args: ServeArgs,
    site_root: PathBuf,
) -> Result<RunningGateway, GatewayError> {
    crate::lnd::install_crypto_provider();
    tracing::debug!(data_dir = %home.data_dir.display(), "gateway starting");
    // Bind first: a busy address fails before any node is started.
    let bind_error = |source| GatewayError::Bind {
        addr: args.listen,
        source,
    };
    let tls = listener::tls_from_settings(settings)?;
    let listener = TcpListener::bind(args.listen).await.map_err(bind_error)?;
    let https = tls.is_some();
    let listener = listener::GatewayListener::new(listener, tls);
    let local_addr = listener.local_addr().map_err(bind_error)?;
    let host_policy = headers::HostPolicy::new(local_addr, settings.gateway_public_names.as_deref(), https)?;
    let host_policy: headers::LiveHostPolicy =
        std::sync::Arc::new(std::sync::RwLock::new(std::sync::Arc::new(host_policy)));
    let simnode_dir = args
        .simnode_data_dir
        .clone()
        .unwrap_or_else(|| home.data_dir.join(SIMNODE_DIR));
    let node = lightning::NodeConnection::open(settings, &simnode_dir).await?;
    // CLI commands in this home use the embedded node while the gateway runs.
    if let Some(announcement) = node.announcement() {
        if let Err(e) = announcement.write(&home.data_dir) {
            tracing::warn!("cannot write {}: {e}", crate::config::EMBEDDED_NODE_FILE);
        }
    }
    let services = Services::new(home, settings);
    let store = match services.store().await {
        Ok(store) => store,
        Err(e) => {
            stop_node(node, &home.data_dir).await;
            return Err(e.into());
        }
    };
    let rates = match services.rates() {
        Ok(rates) => rates,
        Err(e) => {
            store.close().await;
            stop_node(node, &home.data_dir).await;
            return Err(e.into());
        }
    };
    // Refunds left `sending` by a crash or a lost stream are resolved by their payment hash
    // (TrackPaymentV2), never sent again.
    let refunds = crate::counter::RefundService::new(
        store.clone(),
        node.client().clone(),
        rates.clone(),
        settings.pos_refund_max_fee_ppm,
        None,
    );
    tokio::spawn(async move {
        match refunds.resolve_sending().await {
            Ok(rows) if !rows.is_empty() => tracing::info!(count = rows.len(), "refunds left sending were resolved"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "cannot resolve the refunds left sending"),
        }
    });
    let invoice_service = services
        .invoices(store.clone(), node.client().clone(), rates)
        .map_err(|e| GatewayError::Config(e.to_string()))?
        .with_inbound_cache(std::time::Duration::from_secs(crate::liquidity::INBOUND_CACHE_SECS))
        .record_open_soon();
    // One tracker turns node updates into events and webhooks while the gateway runs.
    let tracking = match services
        .payment_tracking(
            store.clone(),
            node.client().clone(),
            TrackerConfig::default(),
            settings.dispatcher_config(),
            Some(invoice_service.rate_handle()),
        )
        .await
    {
        Ok(tracking) => tracking,
        Err(e) => {
            store.close().await;
            stop_node(node, &home.data_dir).await;
            return Err(e.into());
        }
    };
    // The automatic liquidity manager, when enabled.
    let liquidity = services.liquidity_manager(store.clone(), node.client().clone(), invoice_service.rate_handle());
    let webhook_breakers = tracking.webhook_breakers();
    // The settings in force, kept current from config.toml, and what applies them.
    let hub = SettingsHub::new(home, settings.clone());
    let reloader = std::sync::Arc::new(reload::Reloader::new(
        hub.clone(),
        reload::Parts {
            store: store.clone(),
            lnd: node.client().clone(),
            invoices: invoice_service.clone(),
            host_policy: host_policy.clone(),
            embedded: node.simulated(),
            tracking,
            liquidity,
        },
    ));
    let running = Running {
        node: &node,
        store: &store,
        reloader: &reloader,
        invoices: invoice_service,
        webhook_breakers,
        host_policy,
    };
    let web = match web_services(services, &args, running, https, site_root).await {
        Ok(web) => web,
        Err(e) => {
            reloader.stop().await;
            store.close().await;
            stop_node(node, &home.data_dir).await;
            return Err(e);
        }
    };
    let WebServices {
        router,
        closing,
        feed,
        setup_token,
    } = web;
    reloader.spawn(closing.subscribe());
    hub.spawn_watcher(closing.subscribe());
    crate::auth::spawn_purge(store.clone()); // expired sessions and spent sign-in throttle rows
                                             // Every channel backup the node streams, stored (and written to lightning_backup_dir).
    crate::node::spawn_keeper(
        store.clone(),
        node.client().clone(),
        hub.subscribe(),
        closing.subscribe(),
    );
    // Channels opened, closed, active and inactive: recorded, with their webhooks.
    crate::node::spawn_channel_watcher(
        store.clone(),
        node.client().clone(),
        hub.subscribe(),
        closing.subscribe(),
    );

    let (stop, stop_rx) = oneshot::channel::<()>();
    let server = tokio::spawn(listener.serve(router, stop_rx));
    tracing::info!(%local_addr, "web server listening");
    Ok(RunningGateway {
        local_addr,
        https,
        data_dir: home.data_dir.clone(),
        node,
        store,
        reloader,
        feed,
        closing,
        setup_token,
        stop,
        server,
    })
}

/// What the web server needs, built once the node, store and tracker run.
struct WebServices {
    router: axum::Router,
    closing: tokio::sync::watch::Sender<bool>,
    feed: std::sync::Arc<EventFeed>,
    setup_token: Option<SecretString>,
}

/// What runs already when the web services are built.
struct Running<'a> {
    node: &'a lightning::NodeConnection,
    store: &'a Store,
    /// Applies settings changes.
    reloader: &'a std::sync::Arc<reload::Reloader>,
    /// Lightning invoices (with the rate service in use).
    invoices: InvoiceService,
    /// The webhook endpoints' circuit breakers.
    webhook_breakers: crate::webhooks::EndpointBreakers,
    /// Which Host names the web server answers to.
    host_policy: headers::LiveHostPolicy,
}

/// Builds the rate service, the live event feed, the staff accounts and the routes.
async fn web_services(
    services: Services<'_>,
    args: &ServeArgs,
    running: Running<'_>,
    https: bool,
    site_root: PathBuf,
) -> Result<WebServices, GatewayError> {
    let Running {
        node,
        store,
        reloader,
        invoices: invoice_service,
        webhook_breakers,
        host_policy,
    } = running;
    let (closing_tx, closing) = tokio::sync::watch::channel(false);
    let site = site::Site::new(site_root);
    if !site.is_built() {
        tracing::warn!(site_root = %site.root().display(), "the web UI is not built; pages will say how to build it");
    }
    // Under HTTPS the session cookie is marked Secure.
    let auth = services.auth(store.clone(), https);
    let setup_token = first_account(&auth, args.first_admin.as_ref()).await?;
    let feed = std::sync::Arc::new(EventFeed::spawn(store.clone(), FEED_POLL).await?);
    // One link service for the back office and the payment page: new quotes one at a time.
    let links = crate::invoices::LinkService::new(store.clone(), invoice_service.clone());
    let admin = admin::handle(admin::GatewayAdmin {
        store: store.clone(),
        invoices: invoice_service.clone(),
        lnd: node.client().clone(),
        reloader: reloader.clone(),
        webhook_breakers: webhook_breakers.clone(),
        links: links.clone(),
    });
    let hub = reloader.hub().clone();
    auto_print::spawn(
        &feed,
        crate::counter::CounterService::new(store.clone()),
        hub.clone(),
        closing.clone(),
    );
    // The queued emails (the mail outbox), sent and retried while the gateway runs.
    mail_worker::spawn(links.clone(), hub.subscribe(), closing.clone());
    let state = state::GatewayState {
        admin,
        lnd: node.client().clone(),
        invoices: invoice_service.clone(),
        backend: backend::handle(
            node,
            auth.clone(),
            invoice_service,
            crate::counter::CounterService::new(store.clone()),
            hub.clone(),
            setup_token.clone(),
        ),
        site: std::sync::Arc::new(site),
        store: store.clone(),
        feed: feed.clone(),
        webhook_breakers,
        settings: hub.clone(),
        public: public::PublicState {
            links,
            counter: crate::counter::CounterService::new(store.clone()),
            limits: std::sync::Arc::new(public::PublicLimits::default()),
            store: store.clone(),
            feed: feed.clone(),
            settings: hub.clone(),
            closing: closing.clone(),
        },
        closing,
    };
    Ok(WebServices {
        router: routes::router(state, auth, host_policy),
        closing: closing_tx,
        feed,
        setup_token,
    })
}

/// Stops the node and withdraws the embedded node's announcement.
async fn stop_node(node: lightning::NodeConnection, data_dir: &std::path::Path) {
    if node.announcement().is_some() {
        crate::config::EmbeddedNode::remove(data_dir);
    }
    node.shutdown().await;
}

/// Creates `first_admin` (from the environment) unless that user exists; with no staff account at
/// all and no `first_admin`, returns a one-time setup token for the first admin instead.
async fn first_account(
    auth: &AuthService,
    first_admin: Option<&FirstAdmin>,
) -> Result<Option<SecretString>, crate::auth::AuthError> {
    match first_admin {
        Some(admin) => {
            match auth
                .add_user(&admin.username, app::auth::Role::Admin, &admin.password)
                .await
            {
                Ok(()) => {
                    tracing::info!(user = %admin.username, "created the admin account from {ADMIN_USER_ENV}")
                }
                // Already there (an earlier start): its password is managed with `openfatture user`.
                Err(crate::auth::AuthError::UserExists(_)) => {}
                Err(e) => return Err(e),
            }
            Ok(None)
        }
        None if auth.has_users().await? => Ok(None),
        None => Ok(Some(crate::auth::new_token())),
    }
}

/// Runs `openfatture serve`: starts the gateway, prints where it is, and serves until Ctrl-C or
/// SIGTERM, then shuts down gracefully (the embedded node included).
pub async fn serve(settings: Settings, home: Home, args: ServeArgs) -> Result<(), GatewayError> {
    let site_root = site_root_from_env();
    let mut gateway = start(&settings, &home, args, site_root.clone()).await?;

    match gateway.node_kind() {
        NodeKind::Embedded { host, data_dir } => {
            println!(
                "No lightning_host configured: started the embedded simulated node (simnode) at {host}, data in {}",
                data_dir.display()
            );
            println!(
                "Pay its invoices as a customer would: openfatture simnode pay --data-dir {} BOLT11",
                data_dir.display()
            );
        }
        NodeKind::Lnd { host } => println!("Using LND at {host}"),
    }
    if !site::Site::new(site_root.clone()).is_built() {
        println!(
            "Warning: the web UI is not built (no site at {}); build it with `bash scripts/run.sh` \
             (or `cargo leptos build --release`)",
            site_root.display()
        );
    }
    println!("OpenFatture Lightning on {}", gateway.base_url());
    if let Some(url) = gateway.setup_url() {
        println!("No staff account yet. Create the first admin by opening this one-time link:");
        println!("    {url}");
        println!(
            "(or stop and run `openfatture user add NAME --role admin`, or start with {ADMIN_USER_ENV} and {ADMIN_PASSWORD_ENV} set)"
        );
    }

    let signalled = tokio::select! {
        signal = shutdown_signal() => signal,
        joined = &mut gateway.server => {
            // The server stopped on its own: stop the node, then report why.
            let result = flatten_server_result(joined);
            gateway.reloader.stop().await;
            gateway.store.close().await;
            stop_node(gateway.node, &gateway.data_dir).await;
            return result.and(Err(GatewayError::ServerTask("the web server stopped unexpectedly".into())));
        }
    };
    println!("Shutting down…");
    let stopped = gateway.shutdown().await;
    signalled.and(stopped)
}

/// Resolves on Ctrl-C or (on Unix) SIGTERM.
async fn shutdown_signal() -> Result<(), GatewayError> {
    #[cfg(unix)]
    {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).map_err(GatewayError::Signal)?;
        tokio::select! {
            ctrl_c = tokio::signal::ctrl_c() => ctrl_c.map_err(GatewayError::Signal),
            _ = term.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await.map_err(GatewayError::Signal)
    }
}
