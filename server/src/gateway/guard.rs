//! Request guards of the gateway: who is asking (session cookie → [`RequestAuth`]) and whether a
//! state-changing request comes from our own pages (Origin check).

use app::auth::{Role, SessionUser};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::listener::ClientAddr;
use crate::auth::{token_from_cookie_header, AuthService};

/// Who sent the current request; put into request extensions by [`authenticate`] and into the
/// server functions' context by the gateway.
#[derive(Debug, Clone, Default)]
pub(crate) struct RequestAuth {
    /// The signed-in user, if the session cookie is valid.
    pub user: Option<SessionUser>,
    /// The session token as sent (to end the session on sign-out).
    pub token: Option<String>,
    /// The client's address (for sign-in throttling).
    pub client: String,
    /// The device token of a tablet paired to a till, as sent (issue 36); checked when used.
    pub device: Option<String>,
}

impl RequestAuth {
    /// `None` when the signed-in user of a plain (non-server-function) route has `needed`;
    /// otherwise the refusal to send (401 signed out, 403 wrong role).
    pub(crate) fn refusal(&self, needed: Role) -> Option<Response> {
        match &self.user {
            Some(user) if user.role.allows(needed) => None,
            Some(_) => Some((StatusCode::FORBIDDEN, "this needs the admin role\n").into_response()),
            None => Some(
                (
                    StatusCode::UNAUTHORIZED,
                    "not signed in: sign in to the web app first\n",
                )
                    .into_response(),
            ),
        }
    }
}

/// Looks up the session cookie and records the result as a [`RequestAuth`] extension.
pub(crate) async fn authenticate(State(auth): State<AuthService>, mut request: Request, next: Next) -> Response {
    let client = request
        .extensions()
        .get::<ConnectInfo<ClientAddr>>()
        .map(|ConnectInfo(ClientAddr(addr))| addr.ip().to_string())
        .unwrap_or_else(|| "unknown".into());
    let (token, device) = {
        let cookies = || {
            request
                .headers()
                .get_all(header::COOKIE)
                .iter()
                .filter_map(|value| value.to_str().ok())
        };
        (
            cookies().find_map(token_from_cookie_header).map(str::to_owned),
            cookies()
                .find_map(super::pairing::device_from_cookie_header)
                .map(str::to_owned),
        )
    };
    let user = match &token {
        Some(token) => match auth.session(token).await {
            Ok(user) => user,
            Err(e) => {
                tracing::error!("session lookup failed: {e}");
                return (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the gateway cannot read its database; try again\n",
                )
                    .into_response();
            }
        },
        None => None,
    };
    request.extensions_mut().insert(RequestAuth {
        user,
        token,
        client,
        device,
    });
    next.run(request).await
}

/// Refuses state-changing requests whose `Origin` (or `Sec-Fetch-Site`) shows they come from
/// another site. Requests without an Origin (command-line clients) pass: the session cookie is
/// SameSite=Strict, so a browser never sends it cross-site anyway.
pub(crate) async fn same_origin(request: Request, next: Next) -> Response {
    let safe = matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe && !is_same_origin(request.headers(), request_authority(&request)) {
        tracing::warn!(path = %request.uri().path(), "refused a cross-site request");
        return (
            StatusCode::FORBIDDEN,
            "cross-site request refused: use the OpenFatture web app served by this gateway\n",
        )
            .into_response();
    }
    next.run(request).await
}

/// The host (and port) the client addressed: the request target's authority — where HTTP/2's
/// `:authority` lands, an HTTP/2 request having no `Host` — or else the `Host` header (HTTP/1.1).
fn request_authority(request: &Request) -> Option<&str> {
    request
        .uri()
        .authority()
        .map(|authority| authority.as_str())
        .or_else(|| request.headers().get(header::HOST).and_then(|v| v.to_str().ok()))
}

/// Whether the request's Origin matches the authority it was sent to ([`request_authority`]).
/// A browser's `Sec-Fetch-Site: same-origin` (a header no page can set) is enough on its own: a
/// form posted from a page served with `Referrer-Policy: no-referrer`, like the payment page,
/// carries `Origin: null`.
fn is_same_origin(headers: &HeaderMap, authority: Option<&str>) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        match site {
            "same-origin" => return true,
            "cross-site" | "same-site" => return false,
            _ => {}
        }
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    let Some(host) = authority else {
        return false;
    };
    let origin_host = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
        .unwrap_or("");
    !origin_host.is_empty() && origin_host.eq_ignore_ascii_case(host)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    fn same_origin(pairs: &[(&'static str, &'static str)]) -> bool {
        let headers = headers(pairs);
        let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
        is_same_origin(&headers, host)
    }

    #[test]
    fn origins_must_match_the_host() {
        assert!(same_origin(&[("host", "127.0.0.1:3000")]));
        assert!(same_origin(&[
            ("host", "127.0.0.1:3000"),
            ("origin", "http://127.0.0.1:3000")
        ]));
        assert!(same_origin(&[
            ("host", "pos.local:443"),
            ("origin", "https://pos.local:443")
        ]));
        assert!(!same_origin(&[
            ("host", "127.0.0.1:3000"),
            ("origin", "http://evil.example")
        ]));
        assert!(!same_origin(&[("host", "127.0.0.1:3000"), ("origin", "null")]));
        assert!(!same_origin(&[
            ("host", "127.0.0.1:3000"),
            ("sec-fetch-site", "cross-site")
        ]));
        assert!(!same_origin(&[("origin", "https://pos.local:8443")]));
        // The payment page's form: no-referrer makes Chromium send `Origin: null`.
        assert!(same_origin(&[
            ("host", "127.0.0.1:3000"),
            ("origin", "null"),
            ("sec-fetch-site", "same-origin")
        ]));
        assert!(!same_origin(&[
            ("host", "127.0.0.1:3000"),
            ("origin", "null"),
            ("sec-fetch-site", "cross-site")
        ]));
    }

    fn request(uri: &str, pairs: &[(&'static str, &'static str)]) -> Request {
        let mut request = Request::builder()
            .method(Method::POST)
            .uri(uri)
            .body(axum::body::Body::empty())
            .unwrap();
        *request.headers_mut() = headers(pairs);
        request
    }

    #[test]
    fn an_http2_request_is_checked_against_its_authority() {
        // HTTP/2: no Host header, the `:authority` is in the URI.
        let h2 = request(
            "https://pos.local:8443/api/login",
            &[("origin", "https://pos.local:8443")],
        );
        assert_eq!(request_authority(&h2), Some("pos.local:8443"));
        assert!(is_same_origin(h2.headers(), request_authority(&h2)));
        let foreign = request(
            "https://pos.local:8443/api/login",
            &[("origin", "https://evil.example")],
        );
        assert!(!is_same_origin(foreign.headers(), request_authority(&foreign)));
        // HTTP/1.1: origin-form target, the Host header.
        let h1 = request("/api/login", &[("host", "pos.local:8443")]);
        assert_eq!(request_authority(&h1), Some("pos.local:8443"));
    }
}
