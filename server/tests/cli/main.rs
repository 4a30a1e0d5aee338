//! The `openfatture` command-line tool through its binary: configuration, invoices, users, and the
//! bad-input table (CLI and server functions). One test binary; every module shares `common/`.

#[path = "../common/mod.rs"]
mod common;

mod bad_input;
mod cli;
mod config;
mod invoice_cli;
mod user_cli;
