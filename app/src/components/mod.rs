//! Building blocks shared by the pages.

pub mod offline;
pub mod shell;
