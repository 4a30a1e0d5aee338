//! The Tills card's operations behind [`app::admin::AdminBackend`] (issue 36): list, add, change
//! and remove tills through the same [`CounterService`] as `openfatture pos till`, so the rules
//! and refusals are the CLI's (a name is 1–40 visible characters and unique, a printer is
//! `HOST:PORT`, the IVA rate one of the keypad's, the last till stays). A refusal changes nothing.

use app::admin::TillEdit;
use app::model::TillAdminView;
use app::AppError;

use crate::counter::CounterService;
use crate::store::{Store, TillRow};

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
