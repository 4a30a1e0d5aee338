//! A gateway on the embedded simnode, with staff accounts, for tests of the web app's server side.

use std::net::SocketAddr;

use app::auth::Role;
use app::i18n::Lang;
use openfatture::auth::AuthService;
use openfatture::config::{EnvVars, Home, Settings};
use openfatture::gateway::{self, FirstAdmin, NodeKind, RunningGateway, ServeArgs};
use serde_json::Value;
use tempfile::TempDir;

pub use super::Res;

pub const ADMIN: &str = "admin";
pub const ADMIN_PASSWORD: &str = "admin-password-1";

/// The first admin `serve` creates in these tests: [`ADMIN`] with [`ADMIN_PASSWORD`].
pub fn first_admin() -> FirstAdmin {
    FirstAdmin {
        username: ADMIN.into(),
        password: ADMIN_PASSWORD.to_string().into(),
    }
}

/// Any free port on 127.0.0.1.
pub fn any_port() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

/// The settings of `home` with the environment `env` (and nothing of this process's), the
/// key-less rate providers off unless `env` turns them on ([`super::rates::KEYLESS_OFF`]): a test
/// gateway never asks the public internet.
pub fn settings_with(home: &Home, env: &[(&str, &str)]) -> Res<Settings> {
    let pairs = super::rates::KEYLESS_OFF.iter().chain(env.iter()).copied();
    Ok(Settings::load_with(home, &EnvVars::from_pairs(pairs))?)
}
pub const CASHIER: &str = "cassa1";
pub const CASHIER_PIN: &str = "246810";

/// A running gateway with an admin and a cashier, and an HTTP client.
pub struct Web {
    pub _dir: TempDir,
    pub home: Home,
    pub gateway: RunningGateway,
    pub http: reqwest::Client,
}

impl Web {
    /// Records an EUR invoice `numero` of `due_eur` for `client` straight into the gateway's
    /// database, as `openfatture invoice add` does.
    pub async fn add_fattura(
        &self,
        numero: &str,
        client: &str,
        description: &str,
        due_eur: rust_decimal::Decimal,
    ) -> Res<()> {
        let store = openfatture::store::Store::open_in(&self.home.data_dir).await?;
        let added = store
            .add_fattura(
                &openfatture::store::NewFattura {
                    numero: numero.into(),
                    data: chrono::NaiveDate::from_ymd_opt(2025, 3, 1).ok_or("date")?,
                    cedente_piva: String::new(),
                    client_name: client.into(),
                    client_piva: None,
                    client_cf: None,
                    description: description.into(),
                    totale_eur: due_eur,
                    ritenuta_eur: rust_decimal::Decimal::ZERO,
                    bollo_eur: rust_decimal::Decimal::ZERO,
                    due_eur,
                    source: "manual".into(),
                },
                1_740_000_000,
            )
            .await?;
        store.close().await;
        added.ok_or("fattura already present")?;
        Ok(())
    }

    /// Calls server function `endpoint` as `cookie` and insists on 200; the JSON reply.
    pub async fn ok(&self, cookie: &str, endpoint: &str, form: &[(&str, &str)]) -> Res<Value> {
        let (status, body, _) = self.call(endpoint, Some(cookie), form).await?;
        if status != 200 {
            return Err(format!("{endpoint} answered {status}: {body}").into());
        }
        Ok(body)
    }

    /// Calls server function `endpoint` as `cookie` and insists on a refusal with `status`; the
    /// error's text.
    pub async fn refused(&self, cookie: &str, endpoint: &str, form: &[(&str, &str)], status: u16) -> Res<String> {
        let (got, body, _) = self.call(endpoint, Some(cookie), form).await?;
        if got != status {
            return Err(format!("{endpoint} answered {got}, not {status}: {body}").into());
        }
        let lang = form
            .iter()
            .find(|(name, _)| *name == "lang")
            .map_or(Lang::En, |(_, tag)| Lang::from_tag(tag));
        Ok(error_text_in(&body, lang))
    }

    /// A gateway on the embedded simnode with a fallback rate of 45,000 EUR/BTC, an admin (from
    /// the first-admin settings) and a cashier added like `user add` does.
    pub async fn start(first_admin: bool) -> Res<Web> {
        Web::start_with(
            first_admin,
            &[
                ("LIGHTNING_COINGECKO_ENABLED", "false"),
                ("LIGHTNING_FALLBACK_RATE", "45000"),
            ],
        )
        .await
    }

    /// Like [`Web::start`] with the given environment (settings) instead of the default one.
    pub async fn start_with(first_admin: bool, env: &[(&str, &str)]) -> Res<Web> {
        Web::start_with_config(first_admin, env, None).await
    }

    /// Like [`Web::start_with`], with `config_toml` (when given) written to config.toml first.
    pub async fn start_with_config(first_admin: bool, env: &[(&str, &str)], config_toml: Option<&str>) -> Res<Web> {
        let dir = tempfile::tempdir()?;
        let home = Home::at(dir.path());
        if let Some(text) = config_toml {
            std::fs::write(&home.config_file, text)?;
        }
        let settings = settings_with(&home, env)?;
        let args = ServeArgs {
            listen: any_port(),
            simnode_data_dir: None,
            first_admin: first_admin.then(self::first_admin),
        };
        let gateway = gateway::start(&settings, &home, args, dir.path().join("site")).await?;
        if first_admin {
            let store = openfatture::context::open_store(&home, &settings).await?;
            AuthService::new(store.clone(), false)
                .add_user(CASHIER, Role::Cashier, &CASHIER_PIN.to_string().into())
                .await?;
            store.close().await;
        }
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Web {
            _dir: dir,
            home,
            gateway,
            http,
        })
    }

    /// Replaces config.toml atomically (as `openfatture config set` does).
    pub fn write_config(&self, text: &str) -> Res<()> {
        let tmp = self.home.data_dir.join(".config.toml.test-tmp");
        std::fs::write(&tmp, text)?;
        std::fs::rename(&tmp, &self.home.config_file)?;
        Ok(())
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.gateway.local_addr())
    }

    /// Calls a server function with form-encoded arguments; returns status, body and Set-Cookie.
    pub async fn call(
        &self,
        endpoint: &str,
        cookie: Option<&str>,
        form: &[(&str, &str)],
    ) -> Res<(u16, Value, Option<String>)> {
        let mut request = self.http.post(self.url(&format!("/api/{endpoint}"))).form(form);
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let set_cookie = response
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let text = response.text().await?;
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Ok((status, body, set_cookie))
    }

    /// Signs in; returns the `Cookie` header value.
    pub async fn sign_in(&self, user: &str, password: &str) -> Res<String> {
        let (status, body, set_cookie) = self
            .call("login", None, &[("username", user), ("password", password)])
            .await?;
        if status != 200 {
            return Err(format!("sign-in of {user} failed: {status} {body}").into());
        }
        let cookie = set_cookie.ok_or("no Set-Cookie")?;
        Ok(cookie.split(';').next().ok_or("empty cookie")?.to_string())
    }

    pub fn simnode_dir(&self) -> Res<std::path::PathBuf> {
        match self.gateway.node_kind() {
            NodeKind::Embedded { data_dir, .. } => Ok(data_dir.clone()),
            NodeKind::Lnd { .. } => Err("expected the embedded simnode".into()),
        }
    }

    pub async fn db_dump(&self) -> Res<Vec<String>> {
        let store = openfatture::store::Store::open_in(&self.home.data_dir).await?;
        let text = super::dump_tables(&store, &super::WEB_TABLES).await;
        store.close().await;
        Ok(text)
    }
}

/// The English text a page shows for a server-function error body (`{"NotSignedIn": {"code":
/// …}}` etc.); a POS refusal as its code (`note_too_long`).
pub fn error_text(body: &Value) -> String {
    error_text_in(body, Lang::En)
}

/// The text a page in `lang` shows for a server-function error body, worded by the app's own
/// code (`AppError::text`) as the browser words it; a POS refusal as its code.
pub fn error_text_in(body: &Value, lang: Lang) -> String {
    if let Some(code) = body.get("Pos").and_then(Value::as_str) {
        return code.to_owned();
    }
    match serde_json::from_value::<app::AppError>(body.clone()) {
        Ok(error) => error.text(lang),
        Err(_) => body.to_string(),
    }
}

/// A shop CA and a certificate for `localhost` signed by it, written as PEM files for
/// `gateway_tls_cert_path` / `gateway_tls_key_path`.
pub struct TestCertificate {
    /// The CA certificate a client trusts, PEM.
    pub ca_pem: String,
    /// The same, DER.
    pub ca_der: Vec<u8>,
    /// The server certificate file.
    pub cert_path: std::path::PathBuf,
    /// Its private key file.
    pub key_path: std::path::PathBuf,
}

impl TestCertificate {
    /// Makes the CA and the `localhost` certificate and writes them into `dir`.
    pub fn for_localhost(dir: &std::path::Path) -> Res<TestCertificate> {
        use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
        let ca_key = KeyPair::generate()?;
        let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca_cert = ca_params.self_signed(&ca_key)?;
        let issuer = Issuer::new(ca_params, ca_key);
        let server_key = KeyPair::generate()?;
        let server_cert = CertificateParams::new(vec!["localhost".to_string()])?.signed_by(&server_key, &issuer)?;
        let cert_path = dir.join("gateway.crt");
        let key_path = dir.join("gateway.key");
        std::fs::write(&cert_path, server_cert.pem())?;
        std::fs::write(&key_path, server_key.serialize_pem())?;
        Ok(TestCertificate {
            ca_pem: ca_cert.pem(),
            ca_der: ca_cert.der().to_vec(),
            cert_path,
            key_path,
        })
    }
}
