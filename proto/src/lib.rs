//! LND's gRPC API subset used by OpenFatture Lightning, generated from `proto/`.
//!
//! `lnrpc` is the main Lightning service, `invoicesrpc` the invoices sub-server,
//! `routerrpc` the router sub-server and `verrpc` the version sub-server; each
//! has a `*_client` and `*_server` module as tonic generates them.

#![allow(clippy::all, missing_docs)]

/// The main `lnrpc.Lightning` service and its messages.
pub mod lnrpc {
    tonic::include_proto!("lnrpc");
}

/// The `invoicesrpc.Invoices` sub-server.
pub mod invoicesrpc {
    tonic::include_proto!("invoicesrpc");
}

/// The `routerrpc.Router` sub-server.
pub mod routerrpc {
    tonic::include_proto!("routerrpc");
}

/// The `verrpc.Versioner` sub-server.
pub mod verrpc {
    tonic::include_proto!("verrpc");
}
