//! The QR code of a BOLT11 invoice, drawn in the page from the payment request.

use leptos::prelude::*;

use crate::i18n::t;

/// The QR code of `payment_request` (see [`crate::qr::svg`]) in a `div` of `class`, or a
/// warning to copy the invoice instead when it cannot be drawn.
#[component]
pub fn QrCode(
    /// The BOLT11 payment request.
    payment_request: String,
    /// CSS class of the container.
    class: &'static str,
    /// `data-testid` of the container.
    testid: &'static str,
) -> impl IntoView {
    match crate::qr::svg(&payment_request) {
        Some(svg) => view! { <div class=class data-testid=testid inner_html=svg></div> }.into_any(),
        None => view! {
            <p class="banner banner-warning" role="alert" data-testid=testid>
                {move || t("qr.too_long")}
            </p>
        }
        .into_any(),
    }
}
