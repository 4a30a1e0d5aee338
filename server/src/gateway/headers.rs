//! Security headers on every response (Content-Security-Policy, nosniff, no referrer, no framing,
//! HSTS under TLS) and the Host check: a request addressed to a name that is not this gateway's
//! (DNS rebinding: a foreign site whose name resolves to the gateway) is refused.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use sha2::{Digest, Sha256};

use super::listener::ServerAddr;
use super::GatewayError;

/// `Strict-Transport-Security` sent under HTTPS: one year.
const HSTS: &str = "max-age=31536000";

/// The Content-Security-Policy of every response: only this gateway's scripts (the wasm app and
/// its JS glue; WebAssembly compiled by them), styles, images (and `data:` images), connections
/// and forms; no plugins, no framing by any site. `inline_script_hashes` are the `sha256-…`
/// sources of the inline scripts the response itself carries (the HTML shell's boot script).
pub(crate) fn content_security_policy(inline_script_hashes: &[String]) -> String {
    let mut script_src = String::from("'self' 'wasm-unsafe-eval'");
    for hash in inline_script_hashes {
        script_src.push_str(" '");
        script_src.push_str(hash);
        script_src.push('\'');
    }
    format!(
        "default-src 'self'; script-src {script_src}; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'; font-src 'self'; manifest-src 'self'; worker-src 'self'; object-src 'none'; \
         frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    )
}

/// The CSP source of an inline script: `sha256-` and the base64 SHA-256 of its exact text.
pub(crate) fn script_hash(script: &str) -> String {
    let digest = Sha256::digest(script.as_bytes());
    format!("sha256-{}", base64::engine::general_purpose::STANDARD.encode(digest))
}

/// Which names a request may address the gateway by, and whether it serves HTTPS.
#[derive(Debug, Clone)]
pub(crate) struct HostPolicy {
    /// The address the listener is bound to (the real port when `:0` was asked for).
    listen: SocketAddr,
    /// `gateway_public_names`.
    public_names: Vec<PublicName>,
    /// Served over TLS: HSTS is sent, a Host without a port means 443.
    https: bool,
}

/// The [`HostPolicy`] in force, swapped when `gateway_public_names` changes.
pub(crate) type LiveHostPolicy = Arc<std::sync::RwLock<Arc<HostPolicy>>>;

/// The policy in force now.
fn policy_now(live: &LiveHostPolicy) -> Arc<HostPolicy> {
    match live.read() {
        Ok(policy) => policy.clone(),
        Err(poisoned) => poisoned.into_inner().clone(),
    }
}

/// One entry of `gateway_public_names`: a host name, with the one port it is valid for or any.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PublicName {
    host: String,
    port: Option<u16>,
}

impl HostPolicy {
    /// The policy of a gateway listening on `listen`; `public_names` is the
    /// `gateway_public_names` setting (comma-separated `name` or `name:port`).
    pub(crate) fn new(listen: SocketAddr, public_names: Option<&str>, https: bool) -> Result<Self, GatewayError> {
        let public_names = match public_names {
            Some(list) => parse_public_names(list)?,
            None => Vec::new(),
        };
        Ok(HostPolicy {
            listen,
            public_names,
            https,
        })
    }

    /// The same gateway's policy with `public_names` as the new `gateway_public_names`.
    pub(crate) fn with_public_names(&self, public_names: Option<&str>) -> Result<Self, GatewayError> {
        HostPolicy::new(self.listen, public_names, self.https)
    }

    /// Whether a request addressed to `authority` (its `Host` or `:authority`) that arrived on the
    /// local address `arrived_on` is for this gateway: a loopback name or address with the listen
    /// port, the listen address (any address the connection arrived on when bound to all
    /// interfaces), or a name of `gateway_public_names`.
    fn allows(&self, authority: &str, arrived_on: Option<SocketAddr>) -> bool {
        let Ok(authority) = authority.parse::<axum::http::uri::Authority>() else {
            return false;
        };
        if authority.as_str().contains('@') {
            return false;
        }
        let host = authority.host().trim_end_matches('.').to_ascii_lowercase();
        let port = authority.port_u16().unwrap_or(if self.https { 443 } else { 80 });
        let named = self
            .public_names
            .iter()
            .any(|name| name.host == host && name.port.is_none_or(|p| p == port));
        if named {
            return true;
        }
        if port != self.listen.port() {
            return false;
        }
        if host == "localhost" {
            return true;
        }
        let Ok(ip) = host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>() else {
            return false;
        };
        if ip.is_loopback() || ip == self.listen.ip() {
            return true;
        }
        // Bound to all interfaces: the address of this machine the client connected to.
        self.listen.ip().is_unspecified() && arrived_on.is_some_and(|local| local.ip() == ip)
    }
}

/// Parses `gateway_public_names`: names (or `name:port`) separated by commas.
fn parse_public_names(list: &str) -> Result<Vec<PublicName>, GatewayError> {
    let mut names = Vec::new();
    for entry in list.split(',').map(str::trim).filter(|entry| !entry.is_empty()) {
        let invalid = || {
            GatewayError::Config(format!(
                "gateway_public_names: '{entry}' is not a host name or host:port; write names like pos.shop.lan or pos.shop.lan:8443, separated by commas"
            ))
        };
        let authority = entry.parse::<axum::http::uri::Authority>().map_err(|_| invalid())?;
        if authority.as_str().contains('@') || authority.host().is_empty() {
            return Err(invalid());
        }
        if entry.contains(':') && authority.port_u16().is_none() && !entry.ends_with(']') {
            return Err(invalid());
        }
        names.push(PublicName {
            host: authority.host().trim_end_matches('.').to_ascii_lowercase(),
            port: authority.port_u16(),
        });
    }
    Ok(names)
}

/// Refuses (421) a request whose `Host`/`:authority` is not one of this gateway's names
/// ([`HostPolicy`]), and a request that names none (400).
pub(crate) async fn check_host(State(policy): State<LiveHostPolicy>, request: Request, next: Next) -> Response {
    let policy = policy_now(&policy);
    let authority = request
        .uri()
        .authority()
        .map(|authority| authority.as_str().to_owned())
        .or_else(|| {
            request
                .headers()
                .get(header::HOST)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        });
    let Some(authority) = authority else {
        return (
            StatusCode::BAD_REQUEST,
            "no Host header: say which host you are asking for\n",
        )
            .into_response();
    };
    let arrived_on = request.extensions().get::<ServerAddr>().map(|ServerAddr(addr)| *addr);
    if !policy.allows(&authority, arrived_on) {
        tracing::warn!(path = %request.uri().path(), "refused a request for a host this gateway does not serve");
        return (
            StatusCode::MISDIRECTED_REQUEST,
            "this gateway does not answer to that host name: open it at its own address, \
             or add the name to gateway_public_names\n",
        )
            .into_response();
    }
    next.run(request).await
}

/// Adds the security headers to every response (a response that sets its own CSP keeps it).
pub(crate) async fn security_headers(State(policy): State<LiveHostPolicy>, request: Request, next: Next) -> Response {
    let policy = policy_now(&policy);
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        if let Ok(csp) = HeaderValue::from_str(&content_security_policy(&[])) {
            headers.insert(header::CONTENT_SECURITY_POLICY, csp);
        }
    }
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if policy.https {
        headers.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static(HSTS));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(listen: &str, names: Option<&str>) -> HostPolicy {
        HostPolicy::new(listen.parse().unwrap(), names, false).unwrap()
    }

    #[test]
    fn loopback_names_and_the_listen_address_with_its_port_are_allowed() {
        let policy = policy("127.0.0.1:3000", None);
        for host in [
            "127.0.0.1:3000",
            "localhost:3000",
            "LOCALHOST:3000",
            "[::1]:3000",
            "localhost.:3000",
        ] {
            assert!(policy.allows(host, None), "{host}");
        }
        for host in [
            "evil.example",
            "evil.example:3000",
            "localhost:3001",
            "127.0.0.1",
            "user@localhost:3000",
            "",
        ] {
            assert!(!policy.allows(host, None), "{host}");
        }
    }

    #[test]
    fn on_all_interfaces_the_address_the_client_reached_is_allowed() {
        let policy = policy("0.0.0.0:3000", None);
        let lan: SocketAddr = "192.168.1.5:3000".parse().unwrap();
        assert!(policy.allows("192.168.1.5:3000", Some(lan)));
        assert!(!policy.allows("192.168.1.6:3000", Some(lan)));
        assert!(!policy.allows("shop.example:3000", Some(lan)));
    }

    #[test]
    fn public_names_are_allowed_with_any_port_or_the_one_given() {
        let policy = policy("127.0.0.1:3000", Some(" pos.shop.lan , till.example:8443,"));
        assert!(policy.allows("pos.shop.lan", None));
        assert!(policy.allows("POS.shop.lan:443", None));
        assert!(policy.allows("till.example:8443", None));
        assert!(!policy.allows("till.example", None));
        assert!(!policy.allows("shop.lan", None));
    }

    #[test]
    fn bad_public_names_are_refused_with_the_fix() {
        for bad in ["pos shop", "user@pos.lan", "pos.lan:port", "http://pos.lan"] {
            let error = HostPolicy::new("127.0.0.1:3000".parse().unwrap(), Some(bad), false).unwrap_err();
            assert!(error.to_string().contains("gateway_public_names"), "{bad}: {error}");
        }
    }

    #[test]
    fn the_policy_lists_the_inline_script_hashes() {
        let hash = script_hash("alert(1)");
        // echo -n 'alert(1)' | openssl dgst -sha256 -binary | base64
        assert_eq!(hash, "sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI=");
        let csp = content_security_policy(&[hash]);
        assert!(
            csp.contains("script-src 'self' 'wasm-unsafe-eval' 'sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI='")
        );
        assert!(csp.contains("frame-ancestors 'none'"));
        assert!(!csp.contains("unsafe-inline"));
    }
}
