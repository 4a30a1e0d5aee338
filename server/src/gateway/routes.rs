//! HTTP routes: server functions under `/api`, the live event stream at `/api/events`, static
//! files from the site root, and the app's HTML shell for every other GET (client-side routes).

use app::auth::CurrentUser;
use axum::body::Body;
use axum::extract::{Extension, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use futures::StreamExt;
use leptos::prelude::provide_context;
use tower_http::trace::TraceLayer;

use super::guard::{self, RequestAuth};
use super::headers::{self, LiveHostPolicy};
use super::live;
use super::state::GatewayState;
use super::web_error;
use crate::auth::AuthService;

/// Largest request body a server function accepts, bytes (axum's default body limit, which the
/// server functions also apply); a larger one is answered 413.
pub(crate) const MAX_REQUEST_BODY_BYTES: usize = 2 * 1024 * 1024;

/// The gateway's router.
pub(crate) fn router(state: GatewayState, auth: AuthService, host_policy: LiveHostPolicy) -> Router {
    // Registered explicitly so the server function is served even if the linker drops the
    // automatic registration of a crate it sees no other reference to.
    leptos::server_fn::axum::register_explicit::<app::api::GetNodeStatus>();
    let api = Router::new()
        .route("/api/events", get(live::events))
        .route("/metrics", get(super::metrics::metrics))
        .route("/api/admin/fatture/import", post(super::invoice_files::import_upload))
        .route(
            "/api/admin/invoices/{id}/courtesy.pdf",
            get(super::invoice_files::courtesy_pdf),
        )
        .route(
            "/api/admin/closings/{number}/{format}",
            get(super::closing_files::closing_file),
        )
        .route("/api/{*fn_name}", post(server_fn).get(server_fn))
        .layer(axum::middleware::from_fn_with_state(auth, guard::authenticate));
    Router::new()
        .merge(api)
        .merge(super::public::router(state.public.clone()))
        .fallback(site_or_shell)
        .layer(axum::middleware::from_fn(guard::same_origin))
        .layer(axum::middleware::from_fn_with_state(
            host_policy.clone(),
            headers::check_host,
        ))
        // Spans name the path only: a query string can carry a secret (the one-time setup link).
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request| {
            tracing::debug_span!(
                "request",
                method = %request.method(),
                path = %request.uri().path(),
                version = ?request.version(),
            )
        }))
        .layer(axum::middleware::from_fn_with_state(
            host_policy,
            headers::security_headers,
        ))
        .with_state(state)
}

/// Runs a server function with the gateway's backend handles and the caller's identity in its
/// Leptos context; a failure gets its HTTP status at the web error boundary.
async fn server_fn(
    State(state): State<GatewayState>,
    Extension(request_auth): Extension<RequestAuth>,
    request: Request,
) -> Response {
    let request = match buffered(request).await {
        Ok(request) => request,
        Err(refusal) => return refusal,
    };
    let backend = state.backend.clone();
    let admin = state.admin.clone();
    let response = leptos_axum::handle_server_fns_with_context(
        move || {
            provide_context(backend.clone());
            provide_context(admin.clone());
            provide_context(CurrentUser(request_auth.user.clone()));
            provide_context(request_auth.clone());
        },
        request,
    )
    .await
    .into_response();
    web_error::with_error_status(response).await
}

/// The request with its body read into memory, or the refusal: 413 when it is larger than
/// [`MAX_REQUEST_BODY_BYTES`] (by its `Content-Length` or as it arrives), 400 when it breaks off.
async fn buffered(request: Request) -> Result<Request, Response> {
    let too_large = || {
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("request body too large: at most {MAX_REQUEST_BODY_BYTES} bytes\n"),
        )
            .into_response()
    };
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > MAX_REQUEST_BODY_BYTES as u64) {
        return Err(too_large());
    }
    let (parts, body) = request.into_parts();
    let mut chunks = body.into_data_stream();
    let mut bytes = Vec::new();
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk.map_err(|e| {
            (
                StatusCode::BAD_REQUEST,
                format!("could not read the request body: {e}\n"),
            )
                .into_response()
        })?;
        if bytes.len() + chunk.len() > MAX_REQUEST_BODY_BYTES {
            return Err(too_large());
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

/// A file from the site root if there is one; otherwise the app's HTML shell for page routes.
async fn site_or_shell(State(state): State<GatewayState>, request: Request) -> Response {
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::ALLOW, "GET, HEAD")],
            "Method not allowed\n",
        )
            .into_response();
    }
    let path = request.uri().path().to_owned();
    let response = state.site.file(request).await;
    if response.status() != StatusCode::NOT_FOUND {
        return super::site::with_revalidation(&path, response);
    }
    if !is_page_route(&path) {
        // The same answer as a payment link that does not exist (nothing tells them apart).
        return super::public::not_found();
    }
    if !state.site.is_built() {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            no_cache(),
            Html(state.site.not_built_html()),
        )
            .into_response();
    }
    let shell = state.site.shell();
    let csp = headers::content_security_policy(&[headers::script_hash(&shell.boot_script)]);
    let mut response = (no_cache(), Html(shell.html)).into_response();
    match HeaderValue::from_str(&csp) {
        Ok(csp) => {
            response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, csp);
        }
        Err(e) => tracing::error!("the shell's Content-Security-Policy is not a header value: {e}"),
    }
    response
}

/// Whether `path` can be a client-side route (not an asset, not the API).
fn is_page_route(path: &str) -> bool {
    let last_segment = path.rsplit('/').next().unwrap_or_default();
    !path.starts_with("/pkg/") && !path.starts_with("/api/") && !last_segment.contains('.')
}

fn no_cache() -> [(header::HeaderName, HeaderValue); 1] {
    [(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"))]
}

#[cfg(test)]
mod tests {
    use super::is_page_route;

    #[test]
    fn client_routes_get_the_shell_but_assets_and_api_do_not() {
        assert!(is_page_route("/"));
        assert!(is_page_route("/invoices/42"));
        assert!(!is_page_route("/pkg/openfatture.js"));
        assert!(!is_page_route("/favicon.ico"));
        assert!(!is_page_route("/api/nope"));
    }
}
