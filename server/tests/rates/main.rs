//! BTC/EUR rates, the circuit breaker and EUR↔sat conversion, against local HTTP servers
//! (wiremock) that replay the providers' response shapes.

mod breaker;
mod cli;
mod combine;
mod common;
mod money;
mod providers;
mod service;
