//! simnode: an LND-wire-compatible simulated Lightning node.
//!
//! It serves LND 0.21.2's gRPC API subset (`lnrpc.Lightning`, `invoicesrpc.Invoices`,
//! `routerrpc.Router`, `verrpc.Versioner`) over TLS with LND-style macaroons, each method under
//! the permission LND requires (ListPermissions lists them); a method it does not serve answers
//! UNIMPLEMENTED, as grpc-go does. Besides invoices and payments it answers the read-only calls
//! node tools make at start-up (GetVersion, WalletBalance with a fixed regtest UTXO, ListUnspent,
//! GetTransactions, ListPeers, PendingChannels, ClosedChannels, FeeReport, DescribeGraph,
//! GetNodeInfo, GetNetworkInfo, ListPayments, ForwardingHistory), channel backups
//! (ExportAllChannelBackups, VerifyChanBackup, SubscribeChannelBackups: blobs MACed with a key
//! derived from the node key), SubscribeChannelEvents, SubscribeChannelGraph (our policy updates,
//! closed channels), routerrpc's SubscribeHtlcEvents (subscribed, forward, settle, fail and final
//! events of what we send and receive), QueryRoutes (one free hop to a peer, or a circle back to
//! us through two peers at their fees; no mission control, so its success probability is 1, or
//! 0.6 a hop beyond our own with `use_mission_control`), UpdateChannelPolicy and BakeMacaroon /
//! CheckMacaroonPermissions / DeleteMacaroonID (root keys by id, as LND). It keeps real regtest
//! BOLT11 invoices and simulated channels in its data directory, and offers a small control surface
//! (HTTP on 127.0.0.1) through which simulated customers pay invoices and tests inject faults.
//! Any LND client works against it unchanged.
//!
//! Data directory layout (LND's where LND has one):
//! - `tls.cert`, `tls.key` (0600): self-signed ECDSA P-256 certificate marked as a CA;
//! - `data/chain/bitcoin/regtest/{admin,invoice,readonly}.macaroon` (0600);
//! - `control.json` (0600): control surface URL and bearer token, removed on shutdown;
//! - `simnode/keys.json` (0600): node key and macaroon root key;
//! - `simnode/macaroon_root_keys.json` (0600): root keys of ids baked with BakeMacaroon;
//! - `simnode/state.json` (0600): a snapshot of invoices, sent payments, indexes, channels, block
//!   height; `simnode/state.log` (0600): one appended, fsynced line per change since that snapshot.
//!
//! Command line (see [`cli`]):
//! `simnode run --data-dir DIR [--listen 127.0.0.1:10009] [--topology FILE] [--alias NAME]`,
//! `simnode pay --data-dir DIR BOLT11 [--via CHAN_ID] [--amount-msat N]`,
//! `simnode fault --data-dir DIR latency --ms N [--method NAME] | unavailable --count N | drop-streams |
//! slow-payments --ms N | clear | force-close --chan-id ID [--remote] | peer-offline --peer P |
//! peer-online --peer P` (a force close moves the channel to ClosedChannels with a closing txid
//! and emits INACTIVE then CLOSED channel events; an offline peer leaves ListPeers and its
//! channels turn inactive).
//!
//! `routerrpc` payments: SendPaymentV2 pays our own invoices with circular self-payments
//! (`allow_self_payment`), out through a channel chosen with `outgoing_chan_ids` and back in
//! through the channel with `last_hop_pubkey`, as a rebalance does. The two peers are taken to be
//! connected to each other; each charges its fee policy from the topology (base msat + ppm,
//! LND's fee formula), fees above `fee_limit_msat` mean no route, and failures carry LND's
//! reasons (`FAILURE_REASON_NO_ROUTE`, `..._INSUFFICIENT_BALANCE`, `..._INCORRECT_PAYMENT_DETAILS`).
//! Payments complete at once unless the `slow-payments` fault delays them (past `timeout_seconds`
//! they fail with `FAILURE_REASON_TIMEOUT`), and are kept in the state for TrackPaymentV2.
//!
//! Not simulated: payments to other nodes (they fail with no route), hold invoices paid by
//! SendPaymentV2, multi-part sends, fallback addresses, AMP and keysend, forwarding (the
//! forwarding history stays empty), inbound fees; QueryRoutes, SubscribeChannelGraph and
//! routerrpc SubscribeHtlcEvents answer UNIMPLEMENTED.

#![warn(missing_docs)]

mod backup;
mod bolt11;
pub mod cli;
mod control;
mod convert;
mod core;
mod error;
mod faults;
mod files;
mod grpc;
mod journal;
mod keys;
mod ledger;
mod macaroon;
mod node;
mod root_keys;
mod state;
mod tls;
mod topology;

pub use control::client::{customer_invoice, customer_invoice_status, fault, pay};
pub use control::{FaultCommand, PayOptions, PayOutcome, PayStatus};
pub use error::SimNodeError;
pub use ledger::customer::{CustomerInvoiceCreated, CustomerInvoiceRequest, CustomerInvoiceStatus};
pub use macaroon::MacaroonKind;
pub use node::{start, RunningNode, SimNodeConfig, MPP_TIMEOUT_ENV};
