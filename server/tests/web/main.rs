//! The gateway and the web app's server side over real HTTP(S) on 127.0.0.1, on the embedded
//! simnode: sign-in and roles, POS and admin server functions, TLS, secrets, a small load test.
//! One test binary; every module shares `common/`.

// A test may panic on what it did not expect: unwrap/expect are fine here (and in `common/`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../common/mod.rs"]
mod common;

mod evidence;
mod fattura_due;
mod gateway;
mod invoice_files;
mod live_settings;
mod load;
mod node_connect;
mod paylink;
mod refusal_language;
mod secrets;
mod site_files;
mod staff;
mod tills;
mod web;
mod web_admin;
mod web_tls;
