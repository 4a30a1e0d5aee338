//! The fuzz targets' bodies (`fuzz/src/lib.rs`) run in the normal test suite: every seed in
//! `fuzz/corpus/<target>/` plus a few thousand deterministic mutations of them must be accepted
//! or refused with a clear error, never panic. The real, coverage-guided fuzzers are run by
//! hand with `cargo +nightly fuzz run <target>` (see `fuzz/README.md`).

#[path = "../../../fuzz/src/lib.rs"]
mod bodies;

use std::path::{Path, PathBuf};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Fragments a mutation may insert: markup, entities, number shapes, odd bytes.
const TOKENS: [&[u8]; 24] = [
    b"<!DOCTYPE x [<!ENTITY a \"b\">]>",
    b"&amp;",
    b"&#0;",
    b"]]>",
    b"<![CDATA[",
    b"<?xml version=\"1.0\"?>",
    b"</",
    b"<Numero>",
    b"<ImportoTotaleDocumento>",
    b"-",
    b",",
    b".",
    b"e",
    b"NaN",
    b"@",
    b"\0",
    b"\xff\xfe",
    b"\xef\xbb\xbf",
    b"99999999999999999999999999999",
    b"0.000000000001",
    b"=",
    b"\"",
    b"[",
    b"\n",
];

fn corpus(target: &str) -> Vec<Vec<u8>> {
    let dir: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.expect("corpus entry").path())
        .collect();
    files.sort();
    let seeds: Vec<Vec<u8>> = files.iter().map(|p| std::fs::read(p).expect("seed")).collect();
    assert!(seeds.len() >= 5, "{target}: at least 5 seeds in {}", dir.display());
    seeds
}

/// One random edit of `input`: flip, insert, delete, duplicate, splice or insert a token.
fn mutate(rng: &mut StdRng, input: &[u8], seeds: &[Vec<u8>]) -> Vec<u8> {
    let mut out = input.to_vec();
    let edits = rng.gen_range(1..=4);
    for _ in 0..edits {
        let len = out.len();
        let at = if len == 0 { 0 } else { rng.gen_range(0..=len) };
        match rng.gen_range(0..6) {
            0 if len > 0 => {
                let i = rng.gen_range(0..len);
                out[i] ^= 1 << rng.gen_range(0..8);
            }
            1 => out.insert(at, rng.gen()),
            2 if len > 0 => {
                let start = rng.gen_range(0..len);
                let end = (start + rng.gen_range(1..=16)).min(len);
                out.drain(start..end);
            }
            3 if len > 0 => {
                let start = rng.gen_range(0..len);
                let end = (start + rng.gen_range(1..=64)).min(len);
                let chunk = out[start..end].to_vec();
                out.splice(at..at, chunk);
            }
            4 => {
                let other = &seeds[rng.gen_range(0..seeds.len())];
                if !other.is_empty() {
                    let from = rng.gen_range(0..other.len());
                    out.truncate(at);
                    out.extend_from_slice(&other[from..]);
                }
            }
            _ => {
                let token = TOKENS[rng.gen_range(0..TOKENS.len())];
                out.splice(at..at, token.iter().copied());
            }
        }
    }
    out
}

/// Runs `body` over every seed and `mutations` mutants; returns (inputs run, inputs accepted).
fn run(target: &str, mutations: usize, seed: u64, mut body: impl FnMut(&[u8]) -> bool) -> (usize, usize) {
    let seeds = corpus(target);
    let mut accepted = 0;
    for input in &seeds {
        accepted += usize::from(body(input));
    }
    let mut rng = StdRng::seed_from_u64(seed);
    for _ in 0..mutations {
        let base = &seeds[rng.gen_range(0..seeds.len())];
        let input = mutate(&mut rng, base, &seeds);
        accepted += usize::from(body(&input));
    }
    let ran = seeds.len() + mutations;
    println!("{target}: {ran} inputs, {accepted} accepted");
    // Both paths are exercised: some inputs parse, some are refused.
    assert!(accepted > 0 && accepted < ran, "{target}: {accepted} of {ran} accepted");
    (ran, accepted)
}

#[test]
fn fatturapa_parse_survives_its_corpus_and_mutations() {
    run("fatturapa_parse", 3_000, 0x0f47_7a9a, bodies::fatturapa_parse);
}

#[test]
fn amount_parse_survives_its_corpus_and_mutations() {
    run("amount_parse", 5_000, 0x0a30_0e0e, bodies::amount_parse);
}

#[test]
fn config_value_parse_survives_its_corpus_and_mutations() {
    let scratch = tempfile::tempdir().expect("scratch dir");
    // A load succeeds for most keys unless the value is refused for all of them, so "accepted"
    // here means every key took the value and the bytes were also a valid config.toml.
    let keys = openfatture::config::KEYS.len();
    run("config_value_parse", 600, 0x0c0f_1600, |data| {
        bodies::config_value_parse(data, scratch.path()) == keys + 1
    });
}
