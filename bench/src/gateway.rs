//! The gateway under test: the release `openfatture serve` binary run as its own process on the
//! embedded simnode, so its memory can be read from `/proc/<pid>/status`.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// Login name of the admin the gateway creates at start (admins may use the POS).
pub const ADMIN_USER: &str = "bench-admin";
/// That admin's password.
pub const ADMIN_PASSWORD: &str = "bench-password-1";

/// How long the gateway may take to print its address.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a SIGTERM'd gateway gets before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(15);

/// A running `openfatture serve` process.
pub struct GatewayProcess {
    child: Child,
    pid: u32,
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// Its `OPENFATTURE_HOME` (config and data).
    pub home: PathBuf,
}

impl GatewayProcess {
    /// Starts `bin serve --listen 127.0.0.1:0` with `home` as its home and waits for its address.
    pub async fn spawn(bin: &Path, home: &Path, site_root: &Path) -> Result<GatewayProcess> {
        let log = std::fs::File::create(home.join("gateway.log")).context("creating gateway.log")?;
        let mut child = Command::new(bin)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .env("OPENFATTURE_HOME", home)
            .env("LIGHTNING_COINGECKO_ENABLED", "false")
            .env("LIGHTNING_KRAKEN_ENABLED", "false")
            .env("LIGHTNING_BITSTAMP_ENABLED", "false")
            .env("LIGHTNING_COINBASE_ENABLED", "false")
            .env("LIGHTNING_FALLBACK_RATE", "45000")
            // The bench's webhook receiver listens on 127.0.0.1.
            .env("LIGHTNING_WEBHOOK_ALLOW_PRIVATE", "true")
            .env("OPENFATTURE_ADMIN_USER", ADMIN_USER)
            .env("OPENFATTURE_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("LEPTOS_SITE_ROOT", site_root)
            // BENCH_GATEWAY_LOG (an EnvFilter) turns up the gateway's log, e.g. for the tracker.
            .env(
                "RUST_LOG",
                std::env::var("BENCH_GATEWAY_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .env_remove("LIGHTNING_HOST")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let pid = child.id().ok_or_else(|| anyhow!("the gateway exited at once"))?;
        let stdout = child.stdout.take().ok_or_else(|| anyhow!("no stdout pipe"))?;
        let mut lines = BufReader::new(stdout).lines();
        let base_url = tokio::time::timeout(START_TIMEOUT, async {
            while let Some(line) = lines.next_line().await? {
                if let Some(url) = line.strip_prefix("OpenFatture Lightning on ") {
                    return Ok::<_, std::io::Error>(Some(url.trim().to_string()));
                }
            }
            Ok(None)
        })
        .await
        .map_err(|_| anyhow!("the gateway did not print its address within {START_TIMEOUT:?}"))??
        .ok_or_else(|| {
            anyhow!(
                "the gateway exited before listening; see {}",
                home.join("gateway.log").display()
            )
        })?;
        // Keep draining stdout so the gateway never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(GatewayProcess {
            child,
            pid,
            base_url,
            home: home.to_path_buf(),
        })
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Current resident set size (VmRSS), in KiB.
    pub fn rss_kib(&self) -> Result<u64> {
        status_field(self.pid, "VmRSS:")
    }

    /// Peak resident set size since start (VmHWM), in KiB.
    pub fn peak_rss_kib(&self) -> Result<u64> {
        status_field(self.pid, "VmHWM:")
    }

    /// Stops the gateway with SIGTERM (graceful), killing it if it does not exit in time.
    pub async fn stop(mut self) -> Result<()> {
        let status = Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .status()
            .await
            .context("running kill -TERM")?;
        if !status.success() {
            bail!("kill -TERM {} failed", self.pid);
        }
        if tokio::time::timeout(STOP_TIMEOUT, self.child.wait()).await.is_err() {
            self.child.kill().await.context("killing the gateway")?;
        }
        Ok(())
    }
}

/// A `kB` field of `/proc/<pid>/status`.
fn status_field(pid: u32, field: &str) -> Result<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).context("reading /proc/<pid>/status")?;
    let line = text
        .lines()
        .find(|l| l.starts_with(field))
        .ok_or_else(|| anyhow!("no {field} in /proc/{pid}/status"))?;
    line[field.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .with_context(|| format!("parsing {line:?}"))
}

/// Signs in over `POST /api/login`; returns the `Cookie` header value.
pub async fn sign_in(http: &reqwest::Client, base_url: &str) -> Result<String> {
    let response = http
        .post(format!("{base_url}/api/login"))
        .form(&[("username", ADMIN_USER), ("password", ADMIN_PASSWORD)])
        .send()
        .await?;
    let status = response.status();
    let cookie = response
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(str::to_owned);
    if !status.is_success() {
        bail!("sign-in failed: {status} {}", response.text().await.unwrap_or_default());
    }
    cookie.ok_or_else(|| anyhow!("sign-in answered without Set-Cookie"))
}

/// A POS sale made over the gateway's HTTP API.
pub struct Sale {
    /// Our invoice id.
    pub invoice_id: String,
    /// BOLT11.
    pub payment_request: String,
}

/// `POST /api/pos_charge` with `amount_eur` (Italian decimal comma is fine).
pub async fn pos_charge(http: &reqwest::Client, base_url: &str, cookie: &str, amount_eur: &str) -> Result<Sale> {
    let response = http
        .post(format!("{base_url}/api/pos_charge"))
        .header("cookie", cookie)
        .form(&[("amount_eur", amount_eur), ("note", "")])
        .send()
        .await?;
    let status = response.status();
    let body = response.bytes().await?;
    if !status.is_success() {
        bail!("pos_charge failed: {status} {}", String::from_utf8_lossy(&body));
    }
    let value: serde_json::Value = serde_json::from_slice(&body).context("pos_charge answered non-JSON")?;
    let field = |name: &str| {
        value
            .get(name)
            .and_then(|v| v.as_str())
            .map(str::to_owned)
            .ok_or_else(|| anyhow!("pos_charge answer lacks {name}"))
    };
    Ok(Sale {
        invoice_id: field("invoice_id")?,
        payment_request: field("payment_request")?,
    })
}
