//! OpenFatture Lightning: the gateway and the `openfatture` CLI.
//!
//! Layers, each importing only from the ones below it:
//! 1. entry points: [`cli`] (the `openfatture` commands) and [`gateway`] (`openfatture serve`:
//!    the web app's server functions, live events, metrics);
//! 2. wiring: [`context`] builds the services from the settings, for both entry points;
//! 3. domain services, one concern each: [`invoices`] (Lightning invoices for EUR invoices),
//!    [`tracker`] (payments seen on the node), [`webhooks`] (signed delivery), [`liquidity`]
//!    (inbound capacity, rebalancing), [`node`] (node status and care), [`auth`] (staff sign-in),
//!    [`counter`] (the shop counter: tills, IVA, tips, the day's figures);
//! 4. ports to the outside: [`lnd`] (the node over gRPC), [`rates`] (BTC/EUR providers over
//!    HTTP), [`store`] (SQLite or PostgreSQL);
//! 5. the floor, importing nothing of ours: [`config`], [`fatturapa`] (the XML reader), [`money`],
//!    [`breaker`], [`time`].
//!
//! The areas above are public because the `openfatture` binary, the bench and the integration
//! tests use them. Inside an area every file is private (`mod`, or `pub(crate) mod` for a
//! namespace other areas call) and the area's `mod.rs` re-exports by name what is used from
//! outside, so the compiler reports dead code; `scripts/import_graph.py` refuses a `pub mod`
//! below this root.

pub mod auth;
pub mod breaker;
pub mod cli;
pub mod config;
pub mod context;
pub mod counter;
pub mod fatturapa;
pub mod gateway;
pub mod invoices;
pub mod liquidity;
pub mod lnd;
pub mod mail;
pub mod money;
pub mod node;
pub mod printer;
pub mod rates;
pub mod render;
pub mod store;
pub(crate) mod time;
pub mod tracker;
pub mod webhooks;
