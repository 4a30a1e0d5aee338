//! Channel events and alerts (issue 38 §2) against the simnode over TLS: a force close sends
//! `channel_closed` with `force_close: true` and the closing txid to a real local receiver and
//! shows in `lightning alerts`; a channel inactive past the threshold sends `channel_inactive`
//! once; a restarted gateway resends nothing; a channel no stored backup covers is an alert.

use crate::common;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::Router;
use common::lightning::{client, openfatture_against, sim_config};
use common::web::{any_port, settings_with, Web, ADMIN, ADMIN_PASSWORD};
use common::{stdout_of, Res};
use lnd_proto::lnrpc::ListChannelsRequest;
use openfatture::gateway::{self, ServeArgs};
use openfatture::store::Store;
use serde_json::Value;
use simnode::{FaultCommand, MacaroonKind};

/// Webhook bodies a local receiver got, as JSON.
#[derive(Clone, Default)]
struct Bodies(Arc<Mutex<Vec<Value>>>);

impl Bodies {
    fn of(&self, event: &str) -> Vec<Value> {
        let got = self.0.lock().expect("lock");
        got.iter().filter(|b| b["event"] == event).cloned().collect()
    }

    /// The bodies of `event` once `ready` holds for them (up to 15 s).
    async fn when(&self, event: &str, ready: impl Fn(&[Value]) -> bool) -> Res<Vec<Value>> {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let bodies = self.of(event);
            if ready(&bodies) {
                return Ok(bodies);
            }
            if Instant::now() > deadline {
                return Err(format!("no {event} webhook as expected: {bodies:?}").into());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

async fn hook(State(bodies): State<Bodies>, body: Bytes) -> StatusCode {
    let value: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    bodies.0.lock().expect("lock").push(value);
    StatusCode::OK
}

/// A webhook receiver on 127.0.0.1 answering 200; its bodies and URL.
async fn receiver() -> Res<(Bodies, String)> {
    let bodies = Bodies::default();
    let app = Router::new().route("/hook", post(hook)).with_state(bodies.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr: SocketAddr = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((bodies, format!("http://{addr}/hook")))
}

/// How many of `points` the store of `data_dir` knows as opened.
async fn known_channels(data_dir: &std::path::Path, points: &[String]) -> Res<usize> {
    let store = Store::open_in(data_dir).await?;
    let mut known = 0;
    for p in points {
        known += store
            .channel_events_of(p)
            .await?
            .iter()
            .filter(|e| e.kind == "opened")
            .count();
    }
    store.close().await;
    Ok(known)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn force_close_and_inactive_channel_send_webhooks_once_and_show_as_alerts() -> Res<()> {
    let node_dir = tempfile::tempdir()?;
    let node = simnode::start(sim_config(node_dir.path())).await?;
    let host = node.grpc_addr().to_string();
    let cert = node.tls_cert_path().display().to_string();
    let macaroon = node.macaroon_path(MacaroonKind::Admin).display().to_string();
    let (bodies, url) = receiver().await?;
    let env = [
        ("LIGHTNING_COINGECKO_ENABLED", "false"),
        ("LIGHTNING_FALLBACK_RATE", "45000"),
        ("LIGHTNING_HOST", host.as_str()),
        ("LIGHTNING_CERT_PATH", cert.as_str()),
        ("LIGHTNING_MACAROON_PATH", macaroon.as_str()),
        ("LIGHTNING_WEBHOOK_ENABLED", "true"),
        ("LIGHTNING_WEBHOOK_URL", url.as_str()),
        ("LIGHTNING_WEBHOOK_SECRET", "whsec-channel-events-0123456789"),
        ("LIGHTNING_WEBHOOK_ALLOW_PRIVATE", "true"),
        // Alert at once: the test cannot wait minutes.
        ("LIGHTNING_ALERT_INACTIVE_MINUTES", "0"),
    ];
    let web = Web::start_with(true, &env).await?;
    let admin = web.sign_in(ADMIN, ADMIN_PASSWORD).await?;
    let data_dir = web.home.data_dir.clone();
    let cli_home = tempfile::tempdir()?;
    let alerts = || -> Res<Value> {
        let mut cmd = openfatture_against(&node, cli_home.path());
        cmd.env("OPENFATTURE_HOME", web._dir.path())
            .env("LIGHTNING_ALERT_INACTIVE_MINUTES", "0");
        Ok(serde_json::from_str(&stdout_of(cmd.args([
            "--json",
            "lightning",
            "alerts",
        ])))?)
    };

    let lnd = client(&node, MacaroonKind::Admin).await?;
    let channels = lnd.list_channels(ListChannelsRequest::default()).await?.channels;
    assert!(channels.len() >= 2, "{channels:?}");
    let (closing, sleepy) = (&channels[0], &channels[1]);
    assert_ne!(closing.remote_pubkey, sleepy.remote_pubkey, "two peers");

    // Subscribed: the channels open already are known (without a webhook).
    let points: Vec<String> = channels.iter().map(|c| c.channel_point.clone()).collect();
    let deadline = Instant::now() + Duration::from_secs(15);
    while known_channels(&data_dir, &points).await? < points.len() {
        assert!(
            Instant::now() < deadline,
            "the gateway never subscribed to channel events"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        bodies.of("channel_opened").is_empty(),
        "no webhook for channels open already"
    );

    // A force close: `channel_closed` with force_close true and the closing txid.
    simnode::fault(
        node_dir.path(),
        FaultCommand::ForceClose {
            chan_id: closing.chan_id,
            remote: false,
        },
    )
    .await?;
    let closed = bodies.when("channel_closed", |b| !b.is_empty()).await?;
    let body = &closed[0];
    assert_eq!(body["channel_point"], closing.channel_point.as_str());
    assert_eq!(body["force_close"], true);
    assert_eq!(body["close_type"], "LOCAL_FORCE_CLOSE");
    let txid = body["closing_txid"].as_str().ok_or("closing_txid")?.to_string();
    assert_eq!(txid.len(), 64, "{body}");

    // The peer of another channel goes offline: `channel_inactive` for its channel.
    simnode::fault(
        node_dir.path(),
        FaultCommand::PeerOffline {
            peer: sleepy.remote_pubkey.clone(),
        },
    )
    .await?;
    let inactive = bodies
        .when("channel_inactive", |b| {
            b.iter().any(|x| x["channel_point"] == sleepy.channel_point.as_str())
        })
        .await?;
    assert!(inactive[0]["inactive_since"].as_str().is_some_and(|t| t.ends_with('Z')));

    // `lightning alerts` lists the force close with its txid and the inactive channel.
    let listed = alerts()?;
    let list = listed["alerts"].as_array().ok_or("alerts")?;
    assert!(
        list.iter().any(|a| a["kind"] == "force_close"
            && a["chan_point"] == closing.channel_point.as_str()
            && a["closing_txid"] == txid.as_str()),
        "{listed}"
    );
    assert!(
        list.iter()
            .any(|a| a["kind"] == "channel_inactive" && a["chan_point"] == sleepy.channel_point.as_str()),
        "{listed}"
    );
    assert!(
        listed["last_backup_ms"].as_i64().is_some(),
        "the gateway stored a backup: {listed}"
    );

    // The dashboard's server function shows the same alerts and the last backup (admin only).
    let dashboard = web.ok(&admin, "node_alerts", &[]).await?;
    let shown = dashboard["alerts"].as_array().ok_or("alerts")?;
    assert!(
        shown.iter().any(|a| a["kind"] == "force_close"
            && a["chan_point"] == closing.channel_point.as_str()
            && a["closing_txid"] == txid.as_str()),
        "{dashboard}"
    );
    assert!(
        shown
            .iter()
            .any(|a| a["kind"] == "channel_inactive" && a["chan_point"] == sleepy.channel_point.as_str()),
        "{dashboard}"
    );
    assert!(dashboard["last_backup_secs"].as_i64().is_some(), "{dashboard}");

    // Several checks later, still one alert for this inactive spell.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let once = |b: &Bodies| {
        let closes = b.of("channel_closed").len();
        let inactive = b
            .of("channel_inactive")
            .iter()
            .filter(|x| x["channel_point"] == sleepy.channel_point.as_str())
            .count();
        (closes, inactive)
    };
    assert_eq!(once(&bodies), (1, 1));

    // A restart resubscribes and resends nothing.
    let Web {
        _dir, home, gateway, ..
    } = web;
    gateway.shutdown().await?;
    let settings = settings_with(&home, &env)?;
    let args = ServeArgs {
        listen: any_port(),
        simnode_data_dir: None,
        first_admin: None,
    };
    let again = gateway::start(&settings, &home, args, _dir.path().join("site")).await?;
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(once(&bodies), (1, 1), "nothing resent after a restart");
    assert!(bodies.of("channel_opened").is_empty());
    let store = Store::open_in(&data_dir).await?;
    let rows = store.channel_events_of(&sleepy.channel_point).await?;
    let kinds: Vec<&str> = rows.iter().map(|r| r.kind.as_str()).collect();
    assert_eq!(kinds, ["opened", "inactive"], "one row per change: {rows:?}");
    store.close().await;
    again.shutdown().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_channel_no_stored_backup_covers_is_an_alert_until_a_backup_covers_it() -> Res<()> {
    let node_dir = tempfile::tempdir()?;
    let node = simnode::start(sim_config(node_dir.path())).await?;
    let home = tempfile::tempdir()?;
    let alerts = || -> Res<Value> {
        let mut cmd = openfatture_against(&node, home.path());
        Ok(serde_json::from_str(&stdout_of(cmd.args([
            "--json",
            "lightning",
            "alerts",
        ])))?)
    };
    let lnd = client(&node, MacaroonKind::Admin).await?;
    let channels = lnd.list_channels(ListChannelsRequest::default()).await?.channels;

    // No backup stored yet: every open channel is uncovered.
    let before = alerts()?;
    let uncovered: Vec<&str> = before["alerts"]
        .as_array()
        .ok_or("alerts")?
        .iter()
        .filter(|a| a["kind"] == "uncovered_channel")
        .filter_map(|a| a["chan_point"].as_str())
        .collect();
    let mut expected: Vec<&str> = channels.iter().map(|c| c.channel_point.as_str()).collect();
    expected.sort_unstable();
    let mut got = uncovered.clone();
    got.sort_unstable();
    assert_eq!(got, expected, "{before}");
    assert_eq!(before["last_backup_ms"], Value::Null);

    // The text form says so too.
    let mut cmd = openfatture_against(&node, home.path());
    let text = stdout_of(cmd.args(["lightning", "alerts"]));
    assert!(text.contains("no stored channel backup covers it"), "{text}");

    // A backup of the node's channels is stored: no channel is uncovered any more.
    let store = Store::open_in(home.path()).await?;
    let snapshot = lnd.export_all_channel_backups().await?;
    let policy = openfatture::node::BackupPolicy { keep: 5, dir: None };
    openfatture::node::keep_snapshot(&store, &snapshot, &policy, chrono::Utc::now().timestamp_millis()).await?;
    store.close().await;
    let after = alerts()?;
    assert!(
        !after["alerts"]
            .as_array()
            .ok_or("alerts")?
            .iter()
            .any(|a| a["kind"] == "uncovered_channel"),
        "{after}"
    );
    assert!(after["last_backup_ms"].as_i64().is_some());
    Ok(())
}
