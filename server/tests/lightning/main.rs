//! Lightning against the simulated node over real TLS + gRPC: the LND client, invoices, the
//! payment tracker, webhooks, liquidity and rebalancing, the storage backends (SQLite and a real
//! PostgreSQL) and several gateways sharing one database. One test binary; every module shares
//! `common/`.

// A test may panic on what it did not expect: unwrap/expect are fine here (and in `common/`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../common/mod.rs"]
mod common;

mod backups;
mod breaker_serve;
mod channel_events;
mod evidence;
mod fees;
mod invoices;
mod liquidity;
mod list_plans;
mod lnd_client;
mod rebalance;
mod scale_out;
mod store_backends;
mod tracker;
mod webhooks;
