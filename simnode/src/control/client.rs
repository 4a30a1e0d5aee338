//! Customer-side helpers: talk to a running node's control surface via `DIR/control.json`.

use std::path::Path;

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::{ControlFile, ErrorBody, FaultCommand, PayOptions, PayOutcome, PayRequest};
use crate::error::SimNodeError;
use crate::files::DataPaths;
use crate::ledger::customer::{CustomerInvoiceCreated, CustomerInvoiceRequest, CustomerInvoiceStatus};

/// Pays `bolt11` (one of the node's own invoices) as a simulated customer would.
///
/// Returns once the invoice is settled, a hold invoice accepted, or (for an `amount_msat`
/// below the invoice amount) one part of a multi-part payment held. Fails with
/// [`SimNodeError::PaymentFailed`] where LND would fail the payment (unknown, settled,
/// canceled or expired invoice, no channel with enough inbound liquidity, ...).
pub async fn pay(data_dir: &Path, bolt11: &str, opts: PayOptions) -> Result<PayOutcome, SimNodeError> {
    let body = PayRequest {
        payment_request: bolt11.trim().to_string(),
        options: opts,
    };
    post(data_dir, "/v1/pay", &body).await
}

/// Issues an invoice of the simulated remote customer node, which our node can pay.
pub async fn customer_invoice(
    data_dir: &Path,
    req: &CustomerInvoiceRequest,
) -> Result<CustomerInvoiceCreated, SimNodeError> {
    post(data_dir, "/v1/customer_invoice", req).await
}

/// Whether the customer invoice `bolt11` was paid, and how much arrived.
pub async fn customer_invoice_status(data_dir: &Path, bolt11: &str) -> Result<CustomerInvoiceStatus, SimNodeError> {
    let body = serde_json::json!({ "payment_request": bolt11.trim() });
    post(data_dir, "/v1/customer_invoice_status", &body).await
}

/// Injects a fault into the running node's gRPC surface.
pub async fn fault(data_dir: &Path, fault: FaultCommand) -> Result<(), SimNodeError> {
    let _: serde_json::Value = post(data_dir, "/v1/fault", &fault).await?;
    Ok(())
}

/// Reads `control.json` of the node running in `data_dir`.
fn read_control_file(data_dir: &Path) -> Result<ControlFile, SimNodeError> {
    let path = DataPaths::new(data_dir).control_file();
    let bytes = std::fs::read(&path).map_err(|e| SimNodeError::ControlUnreachable {
        url: path.display().to_string(),
        reason: format!("cannot read the control file: {e}"),
    })?;
    serde_json::from_slice(&bytes).map_err(|e| SimNodeError::corrupt(&path, format!("not a control file: {e}")))
}

async fn post<B: Serialize, R: DeserializeOwned>(data_dir: &Path, route: &str, body: &B) -> Result<R, SimNodeError> {
    let control = read_control_file(data_dir)?;
    let url = format!("{}{route}", control.url);
    let unreachable = |reason: String| SimNodeError::ControlUnreachable {
        url: control.url.clone(),
        reason,
    };
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .map_err(|e| unreachable(format!("cannot build an HTTP client: {e}")))?;
    let response = client
        .post(&url)
        .bearer_auth(&control.token)
        .json(body)
        .send()
        .await
        .map_err(|e| unreachable(e.to_string()))?;
    let status = response.status();
    let bytes = response.bytes().await.map_err(|e| unreachable(e.to_string()))?;
    if status.is_success() {
        return serde_json::from_slice(&bytes)
            .map_err(|e| SimNodeError::Rejected(format!("unexpected answer from {url}: {e}")));
    }
    let error: ErrorBody = serde_json::from_slice(&bytes).unwrap_or_else(|_| ErrorBody {
        error: format!("HTTP {status}: {}", String::from_utf8_lossy(&bytes)),
        kind: "bad_request".to_string(),
    });
    if error.kind == "payment_failed" {
        Err(SimNodeError::PaymentFailed(error.error))
    } else {
        Err(SimNodeError::Rejected(error.error))
    }
}
