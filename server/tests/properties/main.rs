//! Property tests (EUR → msat conversion, webhook signatures) and the fuzz targets' bodies over
//! their seed corpus and deterministic mutations. One test binary.

// A test may panic on what it did not expect: unwrap/expect are fine here (and in `common/`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod fuzz_corpus;
mod properties;
