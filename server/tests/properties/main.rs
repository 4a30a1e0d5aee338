//! Property tests (EUR → msat conversion, webhook signatures) and the fuzz targets' bodies over
//! their seed corpus and deterministic mutations. One test binary.

mod fuzz_corpus;
mod properties;
