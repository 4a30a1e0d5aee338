//! OpenFatture Lightning: the gateway and the `openfatture` CLI.
//!
//! Layers: UI/CLI ([`cli`], [`gateway`]) → application services ([`services`])
//! → ports ([`lnd`], [`rates`], [`store`]); [`config`] supplies the settings.

pub mod auth;
pub mod breaker;
pub mod cli;
pub mod config;
pub mod context;
pub mod fatturapa;
pub mod gateway;
pub mod invoices;
pub mod liquidity;
pub mod lnd;
pub mod money;
pub mod rates;
pub mod services;
pub mod store;
pub mod tracker;
pub mod webhooks;
