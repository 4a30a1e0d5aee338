//! Building blocks shared by the pages.

pub mod back_office;
pub mod offline;
pub mod qr;
pub mod shell;
pub mod table;
