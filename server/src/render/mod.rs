//! Documents the product draws for people: the courtesy copy (copia di cortesia) PDF of a fattura
//! with its payment QR (`courtesy`), and a POS sale's payment receipt as lines and text
//! (`receipt`) and as ESC/POS bytes for a thermal printer (`escpos`), and a daily closing's
//! PDF (`closing`).

mod closing;
mod courtesy;
mod escpos;
mod receipt;

pub use closing::{closing_pdf, ClosingDocument, ClosingFigures};
pub use courtesy::{render as courtesy_pdf, CourtesyCopy, CourtesyError, Line, Party, VatSummary};
pub use escpos::{encode_pc858, qr_commands, receipt_escpos, CUT, INIT, LINE_CHARS};
pub use receipt::{local_time, receipt_lines, receipt_text, Receipt, ReceiptLine, VatLine};
