//! Documents the product draws for people: the courtesy copy (copia di cortesia) PDF of a fattura
//! with its payment QR (`courtesy`). Receipts (PDF, HTML, ESC/POS) join here.

mod courtesy;

pub use courtesy::{render as courtesy_pdf, CourtesyCopy, CourtesyError, Line, Party, VatSummary};
