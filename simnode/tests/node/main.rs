//! The simulated node over real TLS gRPC and through its binary: GetInfo, channels and topology,
//! invoices, payments and subscriptions, SendPaymentV2, macaroons, faults, the MPP timeout.
//! One test binary; every module shares `common/`.

// A test may panic on what it did not expect: unwrap/expect are fine here (and in `common/`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../common/mod.rs"]
mod common;

mod cli;
mod customer;
mod faults;
mod invoices;
mod macaroons;
mod mpp_timeout;
mod node_basics;
mod payments;
mod routes;
mod send_payment;
mod subscriptions;
mod tools;
