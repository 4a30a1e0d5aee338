//! Fuzzes the FatturaPA XML parser (`openfatture::fatturapa::parse_fattura`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = openfatture_fuzz::fatturapa_parse(data);
});
