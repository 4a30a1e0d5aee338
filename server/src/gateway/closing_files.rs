//! A daily closing's downloads for the back office (issue 36), on a plain admin-only route:
//! `GET /api/admin/closings/{number}/{format}` with `format` one of `pdf`, `csv` or `json`, the
//! same files as `openfatture pos closing show N --format pdf|csv|json`, as an attachment.

use app::auth::Role;
use app::AppError;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;

use super::guard::RequestAuth;
use super::state::GatewayState;
use crate::counter::{closing_csv, closing_pdf, CounterService};

/// `GET /api/admin/closings/{number}/{format}`: closing `number` as `chiusura-N.pdf`, `.csv` or
/// `.json`. Admin only.
pub(crate) async fn closing_file(
    State(state): State<GatewayState>,
    Extension(auth): Extension<RequestAuth>,
    Path((number, format)): Path<(String, String)>,
) -> Response {
    if let Some(refusal) = auth.refusal(Role::Admin) {
        return refusal;
    }
    let Ok(number) = number.trim().parse::<i64>() else {
        return (
            StatusCode::BAD_REQUEST,
            "the closing number is a whole number, like 1\n",
        )
            .into_response();
    };
    let content_type = match format.as_str() {
        "pdf" => "application/pdf",
        "csv" => "text/csv; charset=utf-8",
        "json" => "application/json",
        _ => return (StatusCode::NOT_FOUND, "a closing downloads as pdf, csv or json\n").into_response(),
    };
    let view = match CounterService::new(state.store.clone()).closing(number).await {
        Ok(view) => view,
        Err(crate::counter::CounterError::Closing(reason)) => {
            return (StatusCode::NOT_FOUND, format!("{reason}\n")).into_response()
        }
        Err(e) => {
            let error = AppError::from(e);
            return (super::web_error::status_of(&error), format!("{error}\n")).into_response();
        }
    };
    let bytes = match format.as_str() {
        "pdf" => closing_pdf(&view, &state.settings.current().receipt_shop()),
        "csv" => closing_csv(&view).into_bytes(),
        _ => match serde_json::to_vec_pretty(&view) {
            Ok(bytes) => bytes,
            Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")).into_response(),
        },
    };
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"chiusura-{number}.{format}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        bytes,
    )
        .into_response()
}
