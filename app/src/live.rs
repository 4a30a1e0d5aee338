//! Browser-side helpers of the POS screen: the live event stream (`/api/events`, Server-Sent
//! Events), a once-a-second timer, the "paid" sound, keeping the screen awake and the clipboard.
//! Without the `csr` feature (server build, unit tests) they do nothing.

use std::future::Future;

use crate::error::AppError;
use crate::model::{InvoiceState, InvoiceStatus};

/// The event stream URL served by the gateway.
pub const EVENTS_URL: &str = "/api/events";

/// The invoice state an event announces: `(event name, JSON body)` → state, for events about
/// an invoice's end (`payment_received`, `payment_failed`, `invoice_cancelled`).
pub fn state_from_event(event: &str, body: &str) -> Option<InvoiceStatus> {
    #[derive(serde::Deserialize)]
    struct Body {
        invoice_id: String,
        #[serde(default)]
        amount_sats: u64,
    }
    let state = match event {
        "payment_received" => InvoiceState::Settled,
        "payment_failed" => InvoiceState::Expired,
        "invoice_cancelled" => InvoiceState::Canceled,
        _ => return None,
    };
    let body: Body = serde_json::from_str(body).ok()?;
    Some(InvoiceStatus {
        invoice_id: body.invoice_id,
        state,
        amount_paid_sat: if state == InvoiceState::Settled {
            body.amount_sats
        } else {
            0
        },
    })
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

    use super::{state_from_event, AppError, Future, InvoiceStatus, EVENTS_URL};

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
        for name in ["payment_received", "payment_failed", "invoice_cancelled"] {
            let apply = on_state.clone();
            let closure = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |msg: web_sys::MessageEvent| {
                if let Some(text) = msg.data().as_string() {
                    if let Some(state) = state_from_event(name, &text) {
                        apply(state);
                    }
                }
            });
            let _ = source.add_event_listener_with_callback(name, closure.as_ref().unchecked_ref());
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
pub use browser::{copy_to_clipboard, every_second, keep_screen_awake, play_paid_sound, watch_invoice};

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

    #[test]
    fn settle_events_carry_the_paid_amount() {
        let body = r#"{"event":"payment_received","invoice_id":"LN-000001","amount_sats":27778}"#;
        let state = state_from_event("payment_received", body).expect("state");
        assert_eq!(state.state, InvoiceState::Settled);
        assert_eq!(state.amount_paid_sat, 27_778);
        assert_eq!(
            state_from_event("payment_failed", body).expect("state").state,
            InvoiceState::Expired
        );
        assert!(state_from_event("invoice_created", body).is_none());
        assert!(state_from_event("payment_received", "not json").is_none());
    }
}
