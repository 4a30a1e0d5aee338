//! The Tills card on the Staff page (admin, issue 36): every till with its default IVA rate,
//! receipt printer, auto-print and whether it is the default one; adding, changing and removing
//! tills (after a confirmation) as `openfatture pos till` does, with the CLI's rules; the gateway
//! refuses in the page's language and a refusal changes nothing.

use leptos::prelude::*;

use crate::components::table::{AdminTable, Column};
use crate::error::AppError;
use crate::i18n::{current_lang, lang, t};
use crate::model::{PairingCodeView, TillAdminView, TillDeviceView};

/// The calling admin's name.
#[cfg(feature = "ssr")]
fn admin() -> Result<String, AppError> {
    Ok(crate::auth::require(crate::auth::Role::Admin)?.username)
}

/// Every till, the default one first. Admin. `POST /api/admin_tills`.
#[server(prefix = "/api", endpoint = "admin_tills")]
pub async fn list_tills() -> Result<Vec<TillAdminView>, AppError> {
    admin()?;
    crate::admin::admin_backend()?.tills_admin().await
}

/// Adds a till; returns every till. Admin. `POST /api/admin_till_add`.
#[server(prefix = "/api", endpoint = "admin_till_add")]
pub async fn add_till(
    /// Its name, 1–40 visible characters, unique.
    name: String,
    /// Its printer `HOST:PORT`; '' for none.
    printer: String,
    /// Its default IVA rate (`22`, `0:N2`); '' for 22.
    vat_rate: String,
) -> Result<Vec<TillAdminView>, AppError> {
    let actor = admin()?;
    crate::admin::admin_backend()?
        .add_till(actor, name, printer, vat_rate)
        .await
}

/// Changes a till; returns every till. Admin. `POST /api/admin_till_set`.
#[server(prefix = "/api", endpoint = "admin_till_set")]
pub async fn change_till(
    /// The till's name now.
    name: String,
    /// Its new name; '' keeps it.
    new_name: String,
    /// Its printer `HOST:PORT`; '' removes it.
    printer: String,
    /// Its default IVA rate; '' keeps it.
    vat_rate: String,
    /// `true` when it prints each paid sale's receipt by itself.
    auto_print: bool,
) -> Result<Vec<TillAdminView>, AppError> {
    let actor = admin()?;
    let change = crate::admin::TillEdit {
        name,
        new_name,
        printer,
        vat_rate,
        auto_print,
    };
    crate::admin::admin_backend()?.change_till(actor, change).await
}

/// Removes a till (never the last one); its sales keep its name. Admin.
/// `POST /api/admin_till_remove`.
#[server(prefix = "/api", endpoint = "admin_till_remove")]
pub async fn remove_till(
    /// The till's name.
    name: String,
) -> Result<Vec<TillAdminView>, AppError> {
    let actor = admin()?;
    crate::admin::admin_backend()?.remove_till(actor, name).await
}

/// A new one-time code that pairs a tablet to till `name` (valid 10 minutes, single use). Admin.
/// `POST /api/admin_till_pair`.
#[server(prefix = "/api", endpoint = "admin_till_pair")]
pub async fn pair_till(
    /// The till's name.
    name: String,
) -> Result<PairingCodeView, AppError> {
    let actor = admin()?;
    crate::admin::admin_backend()?.pair_till(actor, name).await
}

/// The tablets paired to tills. Admin. `POST /api/admin_till_devices`.
#[server(prefix = "/api", endpoint = "admin_till_devices")]
pub async fn till_devices() -> Result<Vec<TillDeviceView>, AppError> {
    admin()?;
    crate::admin::admin_backend()?.till_devices().await
}

/// Unpairs tablet `id`: its sales go to the default till again. Admin.
/// `POST /api/admin_till_unpair`.
#[server(prefix = "/api", endpoint = "admin_till_unpair")]
pub async fn unpair_till_device(
    /// The device's id.
    id: i64,
) -> Result<Vec<TillDeviceView>, AppError> {
    let actor = admin()?;
    crate::admin::admin_backend()?.unpair_till_device(actor, id).await
}

/// What the last action on the card did.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Notice {
    /// Done: the catalogue key of what, and the till's name.
    Done(&'static str, String),
    /// The gateway refused or failed (its words in the page's language).
    Error(String),
    /// A new pairing code: shown once.
    Code(PairingCodeView),
}

/// The columns of the tills table.
const TILL_COLUMNS: &[Column] = &[
    Column::text("tills.column.name"),
    Column::text("tills.column.vat_rate"),
    Column::text("tills.column.printer"),
    Column::text("tills.column.auto_print"),
    Column::untitled(),
];

/// The Tills card.
#[component]
pub fn TillsCard() -> impl IntoView {
    let version = RwSignal::new(0u32);
    let message = RwSignal::new(None::<Notice>);
    let tills = LocalResource::new(move || {
        let _ = version.get();
        list_tills()
    });
    let confirming = RwSignal::new(None::<String>);
    let editing = RwSignal::new(None::<TillAdminView>);
    let finish = move |result: Result<Vec<TillAdminView>, AppError>, key: &'static str, name: String| {
        match result {
            Ok(_) => message.set(Some(Notice::Done(key, name))),
            Err(e) => message.set(Some(Notice::Error(e.text(current_lang())))),
        }
        version.update(|v| *v += 1);
    };
    let confirm_remove = move |_| {
        let Some(name) = confirming.get_untracked() else {
            return;
        };
        confirming.set(None);
        leptos::task::spawn_local(async move {
            let result = remove_till(name.clone()).await;
            finish(result, "tills.removed", name);
        });
    };
    let on_edit = move |till: TillAdminView| {
        message.set(None);
        confirming.set(None);
        editing.set(Some(till));
    };
    let on_remove = move |name: String| {
        message.set(None);
        editing.set(None);
        confirming.set(Some(name));
    };
    let on_pair = move |name: String| {
        message.set(None);
        editing.set(None);
        confirming.set(None);
        leptos::task::spawn_local(async move {
            match pair_till(name).await {
                Ok(code) => message.set(Some(Notice::Code(code))),
                Err(e) => message.set(Some(Notice::Error(e.text(current_lang())))),
            }
        });
    };
    view! {
        <section class="card admin-page" data-testid="tills-card">
            <div class="card-head">
                <h2>{move || t("tills.title")}</h2>
                <button type="button" class="button" on:click=move |_| version.update(|v| *v += 1)>{move || t("common.reload")}</button>
            </div>
            <p class="muted">{move || t("tills.hint")}</p>
            {move || message.get().map(|m| match m {
                Notice::Done(key, name) => view! { <p class="banner banner-ok" role="status" data-testid="tills-message">{move || t(key)} " " {name.clone()}</p> }.into_any(),
                Notice::Error(text) => view! { <p class="banner banner-error" role="alert" data-testid="tills-error">{text}</p> }.into_any(),
                Notice::Code(code) => view! {
                    <p class="banner banner-ok" role="status" data-testid="tills-pair-code">
                        {move || t("tills.pair_code")} " " {code.till.clone()} ": "
                        <strong class="mono">{code.code.clone()}</strong>
                    </p>
                }.into_any(),
            })}
            {move || confirming.get().map(|name| view! {
                <div class="banner banner-warning" role="alertdialog" data-testid="tills-confirm-remove">
                    <p>{move || t("tills.confirm_remove")} " " <strong>{name.clone()}</strong></p>
                    <div class="admin-actions">
                        <button type="button" class="button button-primary" data-testid="tills-confirm-remove-yes" on:click=confirm_remove>
                            {move || t("common.remove")}
                        </button>
                        <button type="button" class="button" on:click=move |_| confirming.set(None)>
                            {move || t("common.cancel")}
                        </button>
                    </div>
                </div>
            })}
            {move || editing.get().map(|till| view! { <EditForm till editing message version /> })}
            <Transition fallback=|| view! { <p class="muted">{move || t("common.loading")}</p> }>
                {move || Suspend::new(async move {
                    match tills.await {
                        Ok(rows) => view! { <TillsTable rows on_edit on_remove on_pair /> }.into_any(),
                        Err(e) => view! { <p class="banner banner-error" role="alert">{move || e.text(lang())}</p> }.into_any(),
                    }
                })}
            </Transition>
            <AddForm finish />
            <DevicesList version message />
        </section>
    }
}

/// The tills with their actions (no Remove on the last one).
#[component]
fn TillsTable<E, R, P>(rows: Vec<TillAdminView>, on_edit: E, on_remove: R, on_pair: P) -> impl IntoView
where
    E: Fn(TillAdminView) + Copy + 'static,
    R: Fn(String) + Copy + 'static,
    P: Fn(String) + Copy + 'static,
{
    let removable = rows.len() > 1;
    view! {
        <AdminTable columns=TILL_COLUMNS testid="tills-table" rows={rows.into_iter().map(|till| {
            let name = till.name.clone();
            let auto_print = till.auto_print;
            let edit = till.clone();
            view! {
                <tr data-testid=format!("till-row-{name}")>
                    <td>
                        {name.clone()}
                        {till.is_default.then(|| view! { " " <span class="muted">{move || t("tills.default")}</span> })}
                    </td>
                    <td>{till.vat_rate.clone()}</td>
                    <td>{till.printer_address.clone()}</td>
                    <td>{move || if auto_print { t("tills.yes") } else { t("tills.no") }}</td>
                    <td class="admin-actions">
                        {
                            let name = name.clone();
                            view! {
                                <button type="button" class="button" data-testid=format!("till-pair-{name}")
                                    on:click=move |_| on_pair(name.clone())>
                                    {move || t("tills.pair")}
                                </button>
                            }
                        }
                        <button type="button" class="button" data-testid=format!("till-edit-{name}")
                            on:click=move |_| on_edit(edit.clone())>
                            {move || t("tills.edit")}
                        </button>
                        {removable.then(|| {
                            let name = name.clone();
                            view! {
                                <button type="button" class="button" data-testid=format!("till-remove-{name}")
                                    on:click=move |_| on_remove(name.clone())>
                                    {move || t("common.remove")}
                                </button>
                            }
                        })}
                    </td>
                </tr>
            }
        }).collect_view()} />
    }
}

/// The columns of the paired tablets table.
const DEVICE_COLUMNS: &[Column] = &[
    Column::text("tills.column.device"),
    Column::text("tills.column.name"),
    Column::text("tills.column.paired_by"),
    Column::untitled(),
];

/// The tablets paired to tills, each with Unpair.
#[component]
fn DevicesList(version: RwSignal<u32>, message: RwSignal<Option<Notice>>) -> impl IntoView {
    let devices = LocalResource::new(move || {
        let _ = version.get();
        till_devices()
    });
    let unpair = move |id: i64, till: String| {
        message.set(None);
        leptos::task::spawn_local(async move {
            match unpair_till_device(id).await {
                Ok(_) => message.set(Some(Notice::Done("tills.unpaired", till))),
                Err(e) => message.set(Some(Notice::Error(e.text(current_lang())))),
            }
            version.update(|v| *v += 1);
        });
    };
    view! {
        <h3>{move || t("tills.devices_title")}</h3>
        <Transition fallback=|| view! { <p class="muted">{move || t("common.loading")}</p> }>
            {move || Suspend::new(async move {
                match devices.await {
                    Ok(rows) if rows.is_empty() => view! { <p class="muted" data-testid="tills-no-devices">{move || t("tills.no_devices")}</p> }.into_any(),
                    Ok(rows) => view! {
                        <AdminTable columns=DEVICE_COLUMNS testid="tills-devices" rows={rows.into_iter().map(|device| {
                            let id = device.id;
                            let till = device.till.clone();
                            view! {
                                <tr data-testid=format!("till-device-{id}")>
                                    <td>{id}</td>
                                    <td>{device.till.clone()}</td>
                                    <td>{device.paired_by.clone()}</td>
                                    <td class="admin-actions">
                                        <button type="button" class="button" data-testid=format!("till-unpair-{id}")
                                            on:click=move |_| unpair(id, till.clone())>
                                            {move || t("tills.unpair")}
                                        </button>
                                    </td>
                                </tr>
                            }
                        }).collect_view()} />
                    }.into_any(),
                    Err(e) => view! { <p class="banner banner-error" role="alert">{move || e.text(lang())}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// Changes one till: name, printer, default IVA rate, auto-print.
#[component]
fn EditForm(
    till: TillAdminView,
    editing: RwSignal<Option<TillAdminView>>,
    message: RwSignal<Option<Notice>>,
    version: RwSignal<u32>,
) -> impl IntoView {
    let new_name = RwSignal::new(till.name.clone());
    let printer = RwSignal::new(till.printer_address.clone());
    let vat_rate = RwSignal::new(till.vat_rate.clone());
    let auto_print = RwSignal::new(till.auto_print);
    let name = till.name.clone();
    let shown = till.name;
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        message.set(None);
        let name = name.clone();
        leptos::task::spawn_local(async move {
            let wanted = new_name.get_untracked();
            let renamed = if wanted.trim() == name { String::new() } else { wanted };
            let result = change_till(
                name.clone(),
                renamed.clone(),
                printer.get_untracked(),
                vat_rate.get_untracked(),
                auto_print.get_untracked(),
            )
            .await;
            match result {
                Ok(_) => {
                    editing.set(None);
                    let shown = if renamed.is_empty() {
                        name
                    } else {
                        renamed.trim().to_string()
                    };
                    message.set(Some(Notice::Done("tills.saved", shown)));
                }
                Err(e) => message.set(Some(Notice::Error(e.text(current_lang())))),
            }
            version.update(|v| *v += 1);
        });
    };
    view! {
        <form class="admin-form" data-testid="tills-edit-form" on:submit=save>
            <h3>{move || t("tills.edit")} " " {shown}</h3>
            <label>
                <span>{move || t("tills.column.name")}</span>
                <input type="text" required maxlength="40" data-testid="tills-edit-name"
                    prop:value=move || new_name.get() on:input=move |ev| new_name.set(event_target_value(&ev)) />
            </label>
            <label>
                <span>{move || t("tills.vat_rate_input")}</span>
                <input type="text" data-testid="tills-edit-vat"
                    prop:value=move || vat_rate.get() on:input=move |ev| vat_rate.set(event_target_value(&ev)) />
            </label>
            <label>
                <span>{move || t("tills.printer_input")}</span>
                <input type="text" autocapitalize="none" data-testid="tills-edit-printer"
                    prop:value=move || printer.get() on:input=move |ev| printer.set(event_target_value(&ev)) />
            </label>
            <label>
                <input type="checkbox" data-testid="tills-edit-auto-print"
                    prop:checked=move || auto_print.get() on:change=move |ev| auto_print.set(event_target_checked(&ev)) />
                <span>{move || t("tills.auto_print_input")}</span>
            </label>
            <div class="admin-actions">
                <button type="submit" class="button button-primary" data-testid="tills-edit-save">{move || t("tills.save")}</button>
                <button type="button" class="button" on:click=move |_| editing.set(None)>{move || t("common.cancel")}</button>
            </div>
        </form>
    }
}

/// Adds a till: name, printer (optional), default IVA rate (22 when empty).
#[component]
fn AddForm<F>(finish: F) -> impl IntoView
where
    F: Fn(Result<Vec<TillAdminView>, AppError>, &'static str, String) + Copy + 'static,
{
    let name = RwSignal::new(String::new());
    let printer = RwSignal::new(String::new());
    let vat_rate = RwSignal::new(String::new());
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        leptos::task::spawn_local(async move {
            let typed = name.get_untracked();
            let result = add_till(typed.clone(), printer.get_untracked(), vat_rate.get_untracked()).await;
            if result.is_ok() {
                name.set(String::new());
                printer.set(String::new());
                vat_rate.set(String::new());
            }
            finish(result, "tills.added", typed.trim().to_string());
        });
    };
    view! {
        <form class="admin-form" data-testid="tills-add-form" on:submit=add>
            <h3>{move || t("tills.add_title")}</h3>
            <label>
                <span>{move || t("tills.column.name")}</span>
                <input type="text" required maxlength="40" data-testid="tills-add-name"
                    prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
            </label>
            <label>
                <span>{move || t("tills.vat_rate_input")}</span>
                <input type="text" placeholder="22" data-testid="tills-add-vat"
                    prop:value=move || vat_rate.get() on:input=move |ev| vat_rate.set(event_target_value(&ev)) />
            </label>
            <label>
                <span>{move || t("tills.printer_input")}</span>
                <input type="text" autocapitalize="none" placeholder="192.168.1.50:9100" data-testid="tills-add-printer"
                    prop:value=move || printer.get() on:input=move |ev| printer.set(event_target_value(&ev)) />
            </label>
            <div class="admin-actions">
                <button type="submit" class="button button-primary" data-testid="tills-add-submit">{move || t("tills.add")}</button>
            </div>
        </form>
    }
}
