//! The Tills card's operations behind [`app::admin::AdminBackend`] (issue 36): list, add, change
//! and remove tills through the same [`CounterService`] as `openfatture pos till`, so the rules
//! and refusals are the CLI's (a name is 1–40 visible characters and unique, a printer is
//! `HOST:PORT`, the IVA rate one of the keypad's, the last till stays). A refusal changes nothing.

use app::admin::TillEdit;
use app::model::{PairingCodeView, TillAdminView, TillDeviceView};
use app::AppError;
use secrecy::ExposeSecret;

use crate::counter::{CounterService, PAIRING_CODE_TTL_SECS};
use crate::store::{Store, TillDeviceRow, TillRow};

/// The card's view of one till (`first`: the default one).
fn view(row: TillRow, first: bool) -> TillAdminView {
    TillAdminView {
        auto_print: row.auto_print != 0,
        name: row.name,
        vat_rate: row.vat_rate,
        printer_address: row.printer_address.unwrap_or_default(),
        is_default: first,
    }
}

/// Every till, the default one first.
pub(super) async fn list(store: &Store) -> Result<Vec<TillAdminView>, AppError> {
    let tills = CounterService::new(store.clone()).tills().await?;
    Ok(tills
        .into_iter()
        .enumerate()
        .map(|(i, row)| view(row, i == 0))
        .collect())
}

/// `text` trimmed, `None` when empty.
fn given(text: &str) -> Option<&str> {
    Some(text.trim()).filter(|t| !t.is_empty())
}

/// Adds a till; every value is checked before anything is written.
pub(super) async fn add(
    store: &Store,
    actor: &str,
    name: &str,
    printer: &str,
    vat_rate: &str,
) -> Result<Vec<TillAdminView>, AppError> {
    let till = CounterService::new(store.clone())
        .add_till(name, given(printer), given(vat_rate))
        .await?;
    tracing::info!(till = %till.name, by = %actor, "till added from the web app");
    list(store).await
}

/// Changes a till: name ('' keeps it), printer ('' removes it), IVA rate ('' keeps it), auto-print.
pub(super) async fn change(store: &Store, actor: &str, edit: &TillEdit) -> Result<Vec<TillAdminView>, AppError> {
    let till = CounterService::new(store.clone())
        .change_till(
            &edit.name,
            given(&edit.new_name),
            Some(edit.printer.as_str()),
            given(&edit.vat_rate),
            Some(edit.auto_print),
        )
        .await?;
    tracing::info!(till = %till.name, by = %actor, "till changed from the web app");
    list(store).await
}

/// Removes a till, never the last one.
pub(super) async fn remove(store: &Store, actor: &str, name: &str) -> Result<Vec<TillAdminView>, AppError> {
    let till = CounterService::new(store.clone()).remove_till(name).await?;
    tracing::info!(till = %till.name, by = %actor, "till removed from the web app");
    list(store).await
}

/// The card's view of one paired tablet.
fn device_view(row: TillDeviceRow) -> TillDeviceView {
    TillDeviceView {
        id: row.id,
        till: row.till_name,
        paired_by: row.paired_by,
        paired_at: row.created_at,
        last_seen_at: row.last_seen_at,
    }
}

/// A new one-time pairing code for till `name` (shown once; only its digest is kept).
pub(super) async fn pair(store: &Store, actor: &str, name: &str) -> Result<PairingCodeView, AppError> {
    let (till, code) = CounterService::new(store.clone()).pairing_code(name, actor).await?;
    tracing::info!(till = %till.name, by = %actor, "tablet pairing code made from the web app");
    Ok(PairingCodeView {
        till: till.name,
        code: code.expose_secret().to_string(),
        expires_at: crate::time::now_secs() + PAIRING_CODE_TTL_SECS,
    })
}

/// Every paired tablet, oldest first.
pub(super) async fn devices(store: &Store) -> Result<Vec<TillDeviceView>, AppError> {
    let rows = CounterService::new(store.clone()).devices(None).await?;
    Ok(rows.into_iter().map(device_view).collect())
}

/// Unpairs tablet `id`; its sales go to the default till again.
pub(super) async fn unpair(store: &Store, actor: &str, id: i64) -> Result<Vec<TillDeviceView>, AppError> {
    let device = CounterService::new(store.clone()).unpair(id).await?;
    tracing::info!(device = device.id, till = %device.till_name, by = %actor, "tablet unpaired from the web app");
    devices(store).await
}
