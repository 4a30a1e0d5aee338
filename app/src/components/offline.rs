//! The offline screen: while the browser is offline, or the gateway stops answering, it covers the
//! app with "offline — cannot take payments" and its Italian twin (the app's language first: see
//! [`crate::i18n`]; without it, Italian first when `navigator.language` starts with "it"), and it
//! goes away by itself as soon as the connection is back.
//!
//! Two signals feed it: the browser's `online`/`offline` events (and `navigator.onLine` at start),
//! and a small probe (`HEAD /favicon.svg`, `cache: "no-store"`, which the service worker lets
//! through to the network) that also catches a dead gateway on a live network. The probe runs
//! every [`PROBE_INTERVAL_OFFLINE_MS`] while the screen is shown and every
//! [`PROBE_INTERVAL_ONLINE_MS`] otherwise; [`FAILURES_BEFORE_OFFLINE`] failures in a row count as
//! "gateway unreachable", one success clears it.

use leptos::prelude::*;

use crate::i18n::{text_in, use_i18n, Lang};

/// What the probe asks the gateway for: a small static file that is always there.
pub const PROBE_URL: &str = "/favicon.svg";
/// Probe period while the offline screen is shown (fast recovery).
pub const PROBE_INTERVAL_OFFLINE_MS: u64 = 3_000;
/// Probe period while everything is fine.
pub const PROBE_INTERVAL_ONLINE_MS: u64 = 15_000;
/// A probe that has not answered after this long counts as failed.
pub const PROBE_TIMEOUT_MS: u32 = 4_000;
/// Failed probes in a row before the gateway counts as unreachable (one slow answer is no outage).
pub const FAILURES_BEFORE_OFFLINE: u32 = 2;

/// Whether the offline screen is shown, given the browser's `navigator.onLine` and the number of
/// gateway probes that failed in a row.
pub fn shows_offline(browser_online: bool, probe_failures: u32) -> bool {
    !browser_online || probe_failures >= FAILURES_BEFORE_OFFLINE
}

/// Full-screen notice shown while no payment can be taken because the browser is offline or the
/// gateway does not answer. Mount it once, in the application shell.
#[component]
pub fn OfflineBanner() -> impl IntoView {
    let browser_online = RwSignal::new(true);
    let probe_failures = RwSignal::new(0_u32);
    let browser_italian = RwSignal::new(false);
    let app_lang = use_i18n();

    #[cfg(feature = "csr")]
    watch::start(browser_online, probe_failures, browser_italian);

    let offline = move || shows_offline(browser_online.get(), probe_failures.get());
    let italian = move || match app_lang {
        Some(i18n) => i18n.0.get() == Lang::It,
        None => browser_italian.get(),
    };
    // The app's language first, the other one under it (the catalogue's `offline.*`).
    let langs = move || {
        if italian() {
            (Lang::It, Lang::En)
        } else {
            (Lang::En, Lang::It)
        }
    };
    let (first, first_lang, second, second_lang) = (
        move || text_in(langs().0, "offline.text"),
        move || langs().0.tag(),
        move || text_in(langs().1, "offline.text"),
        move || langs().1.tag(),
    );
    let reconnecting = move || text_in(langs().0, "offline.reconnecting");
    view! {
        <Show when=offline>
            <div class="offline-screen" role="alert" aria-live="assertive" data-testid="offline-screen">
                <div class="offline-box">
                    <div class="offline-icon" aria-hidden="true">"⚡"</div>
                    <p class="offline-title" lang=first_lang data-testid="offline-text">{first}</p>
                    <p class="offline-second" lang=second_lang>{second}</p>
                    <p class="offline-hint">{reconnecting}</p>
                </div>
            </div>
        </Show>
    }
}

/// Browser side: events, the gateway probe and its timer.
#[cfg(feature = "csr")]
mod watch {
    use std::cell::Cell;
    use std::rc::Rc;
    use std::time::Duration;

    use leptos::ev;
    use leptos::prelude::*;
    use wasm_bindgen_futures::JsFuture;
    use web_sys::{AbortSignal, RequestCache, RequestInit};

    use super::{shows_offline, PROBE_INTERVAL_OFFLINE_MS, PROBE_INTERVAL_ONLINE_MS, PROBE_TIMEOUT_MS, PROBE_URL};
    use crate::i18n::Lang;

    /// Reads the initial state (online? browser language Italian?), listens to `online`/`offline`
    /// and probes the gateway on a timer; everything is removed when the component goes away.
    pub(super) fn start(
        browser_online: RwSignal<bool>,
        probe_failures: RwSignal<u32>,
        browser_italian: RwSignal<bool>,
    ) {
        let navigator = window().navigator();
        browser_online.set(navigator.on_line());
        browser_italian.set(navigator.language().is_some_and(|tag| Lang::from_tag(&tag) == Lang::It));

        let probing = Rc::new(Cell::new(false));
        let probe_now = {
            let probing = Rc::clone(&probing);
            move || {
                if probing.replace(true) {
                    return; // one probe at a time
                }
                let probing = Rc::clone(&probing);
                leptos::task::spawn_local(async move {
                    let answered = probe().await;
                    probe_failures.update(|failures| {
                        *failures = if answered { 0 } else { failures.saturating_add(1) };
                    });
                    probing.set(false);
                });
            }
        };

        let online = window_event_listener(ev::online, {
            let probe_now = probe_now.clone();
            move |_| {
                browser_online.set(true);
                probe_now();
            }
        });
        let offline = window_event_listener(ev::offline, move |_| browser_online.set(false));

        // One short tick; a probe is sent every tick while the screen is up, else every few ticks.
        let ticks_between_online_probes = PROBE_INTERVAL_ONLINE_MS / PROBE_INTERVAL_OFFLINE_MS;
        let tick = Cell::new(0_u64);
        let timer = set_interval_with_handle(
            move || {
                let count = tick.get().wrapping_add(1);
                tick.set(count);
                let failures = probe_failures.get_untracked();
                let showing = shows_offline(browser_online.get_untracked(), failures);
                let failing = failures > 0;
                if showing || failing || count.is_multiple_of(ticks_between_online_probes) {
                    probe_now();
                }
            },
            Duration::from_millis(PROBE_INTERVAL_OFFLINE_MS),
        )
        .ok();

        on_cleanup(move || {
            online.remove();
            offline.remove();
            if let Some(timer) = timer {
                timer.clear();
            }
        });
    }

    /// Whether the gateway answered a `HEAD` of [`PROBE_URL`] in time (any HTTP status counts:
    /// the gateway is there). Never served from a cache.
    async fn probe() -> bool {
        let init = RequestInit::new();
        init.set_method("HEAD");
        init.set_cache(RequestCache::NoStore);
        init.set_signal(Some(&AbortSignal::timeout_with_u32(PROBE_TIMEOUT_MS)));
        let request = window().fetch_with_str_and_init(PROBE_URL, &init);
        JsFuture::from(request).await.is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::{shows_offline, FAILURES_BEFORE_OFFLINE};

    #[test]
    fn shown_when_the_browser_is_offline_or_the_gateway_failed_enough_probes_in_a_row() {
        assert!(!shows_offline(true, 0));
        assert!(!shows_offline(true, FAILURES_BEFORE_OFFLINE - 1));
        assert!(shows_offline(true, FAILURES_BEFORE_OFFLINE));
        assert!(shows_offline(false, 0));
        assert!(shows_offline(false, FAILURES_BEFORE_OFFLINE));
    }
}
