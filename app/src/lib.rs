//! OpenFatture Lightning's web app: components and the server functions they call.
//!
//! Built twice: for the browser (feature `csr`, mounted by the `frontend` crate) and for the gateway
//! (feature `ssr`, where the server functions run with the gateway's [`backend::BackendHandle`] in context).

// The back-office pages are type-erased whole (`router::back_office`): in the server build the
// layout of that view's async `resolve` nests deeper than the default limit of 128.
#![recursion_limit = "256"]

#[cfg(feature = "ssr")]
pub mod admin;
pub mod api;
pub mod auth;
#[cfg(feature = "ssr")]
pub mod backend;
pub mod components;
pub mod error;
pub mod format;
pub mod i18n;
pub mod live;
pub mod model;
pub mod pages;
pub mod qr;
pub mod router;

pub use error::{AppError, PosError, Refusal};
pub use router::App;
