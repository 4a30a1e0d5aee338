//! Fuzzes EUR amount parsing (as typed at the POS counter) and the EUR → msat conversion.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = openfatture_fuzz::amount_parse(data);
});
