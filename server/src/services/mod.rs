//! Application services: what the UI and the CLI ask for, computed through the ports
//! (UI/CLI → services → ports such as [`crate::lnd`]).

pub mod node;
