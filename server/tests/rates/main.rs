//! BTC/EUR rates, the circuit breaker and EUR↔sat conversion, against local HTTP servers
//! (wiremock) that replay the providers' response shapes. The rate helpers are `common::rates`.

#[path = "../common/mod.rs"]
mod common;

mod breaker;
mod cli;
mod combine;
mod money;
mod providers;
mod service;
