//! HTTP routes: server functions under `/api`, the live event stream at `/api/events`, static
//! files from the site root, and the app's HTML shell for every other GET (client-side routes).

use app::auth::CurrentUser;
use axum::extract::{Extension, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use leptos::prelude::provide_context;
use tower_http::trace::TraceLayer;

use super::guard::{self, RequestAuth};
use super::live;
use super::state::GatewayState;
use super::web_error;
use crate::auth::AuthService;

/// The gateway's router.
pub(crate) fn router(state: GatewayState, auth: AuthService) -> Router {
    // Registered explicitly so the server function is served even if the linker drops the
    // automatic registration of a crate it sees no other reference to.
    leptos::server_fn::axum::register_explicit::<app::api::GetNodeStatus>();
    let api = Router::new()
        .route("/api/events", get(live::events))
        .route("/metrics", get(super::metrics::metrics))
        .route("/api/{*fn_name}", post(server_fn).get(server_fn))
        .layer(axum::middleware::from_fn_with_state(auth, guard::authenticate));
    Router::new()
        .merge(api)
        .fallback(site_or_shell)
        .layer(axum::middleware::from_fn(guard::same_origin))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Runs a server function with the gateway's backend handles and the caller's identity in its
/// Leptos context; a failure gets its HTTP status at the web error boundary.
async fn server_fn(
    State(state): State<GatewayState>,
    Extension(request_auth): Extension<RequestAuth>,
    request: Request,
) -> Response {
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
        return (StatusCode::NOT_FOUND, format!("Not found: {path}\n")).into_response();
    }
    if !state.site.is_built() {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            no_cache(),
            Html(state.site.not_built_html()),
        )
            .into_response();
    }
    (no_cache(), Html(state.site.index_html())).into_response()
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
