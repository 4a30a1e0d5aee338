//! BTC/EUR rates, the circuit breaker and EUR↔sat conversion, against local HTTP servers
//! (wiremock) that replay the providers' response shapes. The rate helpers are `common::rates`.

// A test may panic on what it did not expect: unwrap/expect are fine here (and in `common/`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../common/mod.rs"]
mod common;

mod breaker;
mod cli;
mod combine;
mod money;
mod providers;
mod service;
mod sources;
