//! Building blocks shared by the pages (no page and no route is imported here).

pub mod offline;
pub mod pager;
pub mod qr;
pub mod table;
