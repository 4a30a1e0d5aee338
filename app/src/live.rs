//! Browser-side helpers of the POS screen: the live event stream (`/api/events`, Server-Sent
//! Events), a once-a-second timer, the "paid" sound, keeping the screen awake and the clipboard.
//! Without the `csr` feature (server build, unit tests) they do nothing.

use std::future::Future;

use crate::error::AppError;
use crate::model::{EventBody, EventKind, InvoiceState, InvoiceStatus};

/// The event stream URL served by the gateway.
pub const EVENTS_URL: &str = "/api/events";

/// What one event of the live stream tells a screen waiting on an invoice's end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Heard {
    /// The invoice is now in this (final) state.
    State(InvoiceStatus),
    /// The invoice (this id) ended unpaid: it expired, or the node cancelled it. The event
    /// (`payment_failed`) does not say which, so the gateway is asked.
    EndedUnpaid(String),
}

/// What an event tells about its invoice's end: `(event name, JSON body)`, for the events that end
/// an invoice ([`EventKind::ends_invoice`]: `payment_received`, `payment_failed`,
/// `invoice_cancelled`); `None` for other events and for bodies that are not an [`EventBody`].
pub fn heard_from_event(event: &str, body: &str) -> Option<Heard> {
    let kind = EventKind::parse(event).filter(|kind| kind.ends_invoice())?;
    let body = EventBody::from_json(body).ok()?;
    match *kind.invoice_states() {
        [state] => Some(Heard::State(InvoiceStatus {
            invoice_id: body.invoice_id,
            state,
            amount_paid_sat: if state == InvoiceState::Settled {
                body.amount_sats
            } else {
                0
            },
        })),
        _ => Some(Heard::EndedUnpaid(body.invoice_id)),
    }
}

/// The invoice state an event leaves its invoice in, asking the gateway with `ask` (the
/// `invoice_state` server function, or the page's own) when the event alone does not say
/// (`payment_failed`: expired, or cancelled by the node). When asking fails the invoice is
/// taken as expired: it has ended unpaid either way.
pub async fn state_from_event<A, F>(event: &str, body: &str, ask: A) -> Option<InvoiceStatus>
where
    A: FnOnce(String) -> F,
    F: Future<Output = Result<InvoiceStatus, AppError>>,
{
    match heard_from_event(event, body)? {
        Heard::State(state) => Some(state),
        Heard::EndedUnpaid(invoice_id) => Some(match ask(invoice_id.clone()).await {
            Ok(state) => state,
            Err(_) => InvoiceStatus {
                invoice_id,
                state: InvoiceState::Expired,
                amount_paid_sat: 0,
            },
        }),
    }
}

/// Current unix time in seconds (the browser's clock).
pub fn now_secs() -> i64 {
    #[cfg(feature = "csr")]
    {
        (js_sys::Date::now() / 1000.0) as i64
    }
    #[cfg(not(feature = "csr"))]
    {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or_default()
    }
}

#[cfg(feature = "csr")]
mod browser {
    use leptos::prelude::*;
    use send_wrapper::SendWrapper;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::{JsCast, JsValue};

    use super::{state_from_event, AppError, EventKind, Future, InvoiceStatus, EVENTS_URL};

    /// Calls `on_state` when the invoice is paid, expires or is cancelled; on every (re)connection
    /// it also asks the gateway for the invoice's state with `ask` (a server function of the
    /// calling page), so nothing missed while disconnected is lost.
    pub fn watch_invoice<A, F>(invoice_id: String, on_state: impl Fn(InvoiceStatus) + Clone + 'static, ask: A)
    where
        A: Fn(String) -> F + Clone + 'static,
        F: Future<Output = Result<InvoiceStatus, AppError>> + 'static,
    {
        let Ok(source) = web_sys::EventSource::new(EVENTS_URL) else {
            return;
        };
        let mut closures: Vec<Closure<dyn FnMut(web_sys::MessageEvent)>> = Vec::new();
        for kind in EventKind::ALL.into_iter().filter(|kind| kind.ends_invoice()) {
            let apply = on_state.clone();
            let ask = ask.clone();
            let closure = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |msg: web_sys::MessageEvent| {
                if let Some(text) = msg.data().as_string() {
                    let apply = apply.clone();
                    let ask = ask.clone();
                    leptos::task::spawn_local(async move {
                        if let Some(state) = state_from_event(kind.as_str(), &text, ask).await {
                            apply(state);
                        }
                    });
                }
            });
            let _ = source.add_event_listener_with_callback(kind.as_str(), closure.as_ref().unchecked_ref());
            closures.push(closure);
        }
        let apply = on_state.clone();
        let on_open = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |_msg: web_sys::MessageEvent| {
            let apply = apply.clone();
            let asked = ask(invoice_id.clone());
            leptos::task::spawn_local(async move {
                if let Ok(state) = asked.await {
                    apply(state);
                }
            });
        });
        let _ = source.add_event_listener_with_callback("open", on_open.as_ref().unchecked_ref());
        closures.push(on_open);
        let guard = SendWrapper::new((source, closures));
        on_cleanup(move || {
            let (source, closures) = guard.take();
            source.close();
            drop(closures);
        });
    }

    /// Calls `on_event` on each event of `kinds` from the live stream, and on every
    /// (re)connection (so nothing missed while disconnected is lost), while the calling
    /// component is shown.
    pub fn on_events(kinds: &[EventKind], on_event: impl Fn() + Clone + 'static) {
        let Ok(source) = web_sys::EventSource::new(EVENTS_URL) else {
            return;
        };
        let mut closures: Vec<Closure<dyn FnMut(web_sys::MessageEvent)>> = Vec::new();
        for name in kinds.iter().map(|kind| kind.as_str()).chain(["open"]) {
            let call = on_event.clone();
            let closure = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |_msg: web_sys::MessageEvent| call());
            let _ = source.add_event_listener_with_callback(name, closure.as_ref().unchecked_ref());
            closures.push(closure);
        }
        let guard = SendWrapper::new((source, closures));
        on_cleanup(move || {
            let (source, closures) = guard.take();
            source.close();
            drop(closures);
        });
    }

    /// Runs `tick` every second while the calling component is shown.
    pub fn every_second(tick: impl Fn() + 'static) {
        let tick = SendWrapper::new(tick);
        if let Ok(handle) = set_interval_with_handle(move || (*tick)(), std::time::Duration::from_secs(1)) {
            on_cleanup(move || handle.clear());
        }
    }

    /// Two short rising tones: the sale is paid.
    pub fn play_paid_sound() {
        let Ok(ctx) = web_sys::AudioContext::new() else {
            return;
        };
        let start = ctx.current_time();
        for (i, freq) in [880.0_f32, 1318.5].into_iter().enumerate() {
            let (Ok(osc), Ok(gain)) = (ctx.create_oscillator(), ctx.create_gain()) else {
                return;
            };
            osc.frequency().set_value(freq);
            gain.gain().set_value(0.2);
            let at = start + i as f64 * 0.18;
            let _ = osc.connect_with_audio_node(&gain);
            let _ = gain.connect_with_audio_node(&ctx.destination());
            let _ = osc.start_with_when(at);
            let _ = osc.stop_with_when(at + 0.16);
        }
    }

    /// Asks the browser to keep the screen on (Screen Wake Lock) while the calling component is
    /// shown; where unsupported (or not a secure context) nothing happens.
    pub fn keep_screen_awake() {
        let navigator: JsValue = window().navigator().into();
        let Ok(wake_lock) = js_sys::Reflect::get(&navigator, &JsValue::from_str("wakeLock")) else {
            return;
        };
        if wake_lock.is_undefined() {
            return;
        }
        let Ok(request) = js_sys::Reflect::get(&wake_lock, &JsValue::from_str("request")) else {
            return;
        };
        let Ok(request) = request.dyn_into::<js_sys::Function>() else {
            return;
        };
        let Ok(promise) = request.call1(&wake_lock, &JsValue::from_str("screen")) else {
            return;
        };
        let Ok(promise) = promise.dyn_into::<js_sys::Promise>() else {
            return;
        };
        let sentinel = SendWrapper::new(std::rc::Rc::new(std::cell::RefCell::new(None::<JsValue>)));
        let slot = (*sentinel).clone();
        leptos::task::spawn_local(async move {
            if let Ok(lock) = wasm_bindgen_futures::JsFuture::from(promise).await {
                *slot.borrow_mut() = Some(lock);
            }
        });
        on_cleanup(move || {
            if let Some(lock) = sentinel.take().borrow_mut().take() {
                if let Ok(release) = js_sys::Reflect::get(&lock, &JsValue::from_str("release")) {
                    if let Ok(release) = release.dyn_into::<js_sys::Function>() {
                        let _ = release.call0(&lock);
                    }
                }
            }
        });
    }

    /// Copies text to the clipboard (secure contexts only).
    pub fn copy_to_clipboard(text: &str) {
        let _ = window().navigator().clipboard().write_text(text);
    }
}

#[cfg(feature = "csr")]
pub use browser::{copy_to_clipboard, every_second, keep_screen_awake, on_events, play_paid_sound, watch_invoice};

/// No-op outside the browser.
#[cfg(not(feature = "csr"))]
pub fn watch_invoice<A, F>(_invoice_id: String, _on_state: impl Fn(InvoiceStatus) + Clone + 'static, _ask: A)
where
    A: Fn(String) -> F + Clone + 'static,
    F: Future<Output = Result<InvoiceStatus, AppError>> + 'static,
{
}
/// No-op outside the browser.
#[cfg(not(feature = "csr"))]
pub fn on_events(_kinds: &[EventKind], _on_event: impl Fn() + Clone + 'static) {}
/// No-op outside the browser.
#[cfg(not(feature = "csr"))]
pub fn every_second(_tick: impl Fn() + 'static) {}
/// No-op outside the browser.
#[cfg(not(feature = "csr"))]
pub fn play_paid_sound() {}
/// No-op outside the browser.
#[cfg(not(feature = "csr"))]
pub fn keep_screen_awake() {}
/// No-op outside the browser.
#[cfg(not(feature = "csr"))]
pub fn copy_to_clipboard(_text: &str) {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::EventMetadata;

    /// A payload as the store writes it.
    fn payload(kind: EventKind, invoice_id: &str, amount_sats: u64) -> String {
        EventBody {
            id: "evt_1".into(),
            event: kind.as_str().into(),
            invoice_id: invoice_id.into(),
            payment_hash: "ab".into(),
            amount_sats,
            amount_eur: "12.50".into(),
            timestamp: "2026-01-02T03:04:05Z".into(),
            description: "POS sale".into(),
            metadata: EventMetadata::default(),
        }
        .to_json()
        .expect("payload")
    }

    /// Runs a future that completes without waiting (the fake gateways below answer at once).
    fn ready<F: Future>(future: F) -> F::Output {
        let mut future = std::pin::pin!(future);
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        match future.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(out) => out,
            std::task::Poll::Pending => panic!("the fake gateway answers at once"),
        }
    }

    /// A gateway that must not be asked.
    fn not_asked(_invoice_id: String) -> std::future::Ready<Result<InvoiceStatus, AppError>> {
        panic!("the event alone says the state: the gateway must not be asked")
    }

    /// A gateway that answers `state` for every invoice.
    fn gateway_says(state: InvoiceState) -> impl FnOnce(String) -> std::future::Ready<Result<InvoiceStatus, AppError>> {
        move |invoice_id| {
            std::future::ready(Ok(InvoiceStatus {
                invoice_id,
                state,
                amount_paid_sat: 0,
            }))
        }
    }

    #[test]
    fn settle_events_carry_the_paid_amount() {
        let body = payload(EventKind::PaymentReceived, "LN-000001", 27_778);
        let state = ready(state_from_event("payment_received", &body, not_asked)).expect("state");
        assert_eq!(state.state, InvoiceState::Settled);
        assert_eq!(state.invoice_id, "LN-000001");
        assert_eq!(state.amount_paid_sat, 27_778);
        assert!(ready(state_from_event("invoice_created", &body, not_asked)).is_none());
        assert!(ready(state_from_event("liquidity_alert", &body, not_asked)).is_none());
        assert!(ready(state_from_event("payment_received", "not json", not_asked)).is_none());
    }

    /// A cashier's stream carries only the event name, the invoice and its sats: the screen still
    /// turns green on it, and an ending without payment still asks the gateway.
    #[test]
    fn a_cashiers_cut_down_body_still_ends_the_sale() {
        let body = r#"{"event":"payment_received","invoice_id":"LN-000007","amount_sats":27778}"#;
        let state = ready(state_from_event("payment_received", body, not_asked)).expect("state");
        assert_eq!(state.state, InvoiceState::Settled);
        assert_eq!(state.invoice_id, "LN-000007");
        assert_eq!(state.amount_paid_sat, 27_778);
        let body = r#"{"event":"invoice_cancelled","invoice_id":"LN-000007","amount_sats":27778}"#;
        let state = ready(state_from_event("invoice_cancelled", body, not_asked)).expect("state");
        assert_eq!(state.state, InvoiceState::Canceled);
        let body = r#"{"event":"payment_failed","invoice_id":"LN-000007","amount_sats":27778}"#;
        let state = ready(state_from_event(
            "payment_failed",
            body,
            gateway_says(InvoiceState::Expired),
        ))
        .expect("state");
        assert_eq!(
            (state.invoice_id.as_str(), state.state),
            ("LN-000007", InvoiceState::Expired)
        );
    }

    /// `payment_failed` is raised both when an invoice expires and when the node cancels it: the
    /// screen must end on what the gateway says (CANCELED for a node-cancelled invoice), not on
    /// EXPIRED for both, as it did.
    #[test]
    fn an_invoice_the_node_cancelled_ends_canceled_not_expired() {
        let body = payload(EventKind::PaymentFailed, "LN-000002", 0);
        assert_eq!(
            heard_from_event("payment_failed", &body),
            Some(Heard::EndedUnpaid("LN-000002".into()))
        );
        let cancelled = ready(state_from_event(
            "payment_failed",
            &body,
            gateway_says(InvoiceState::Canceled),
        ));
        assert_eq!(
            cancelled,
            Some(InvoiceStatus {
                invoice_id: "LN-000002".into(),
                state: InvoiceState::Canceled,
                amount_paid_sat: 0,
            })
        );
        let expired = ready(state_from_event(
            "payment_failed",
            &body,
            gateway_says(InvoiceState::Expired),
        ));
        assert_eq!(expired.map(|s| s.state), Some(InvoiceState::Expired));
        // The gateway cannot be reached: the invoice has ended unpaid either way.
        let unreachable = ready(state_from_event("payment_failed", &body, |_id| {
            std::future::ready(Err(AppError::Unavailable(crate::error::Refusal::code(
                "error.database",
            ))))
        }));
        assert_eq!(unreachable.map(|s| s.state), Some(InvoiceState::Expired));
        // Our own cancel says CANCELED by itself.
        let body = payload(EventKind::InvoiceCancelled, "LN-000003", 0);
        let ours = ready(state_from_event("invoice_cancelled", &body, not_asked));
        assert_eq!(ours.map(|s| s.state), Some(InvoiceState::Canceled));
    }
}
