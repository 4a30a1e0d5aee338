//! Fuzzes the FatturaPA import readers: XML, signed `.p7m` and `.zip` archives
//! (`openfatture::fatturapa::{parse_fattura_file, unpack_zip}`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = openfatture_fuzz::fatturapa_parse(data);
});
