//! Throughput of the import-file checker on realistic files (one core, release).
//!
//! Generates a ~10 MB and a ~100 MB user CSV with `synth` in memory, feeds each to a `Checker` in
//! 64 KiB chunks (as the Lambda function reads an S3 object), and prints one line per size with the
//! best of a few runs. MB is 10^6 bytes. Nothing is asserted about time; every verdict must be clean.

use std::hint::black_box;
use std::time::{Duration, Instant};

use cognito_import::check;
use cognito_import_testkit::synth;

const CHUNK: usize = 64 * 1024;

fn check_once(rules: &check::PoolRules, file: &[u8]) -> (check::Verdict, Duration) {
    let start = Instant::now();
    let mut checker = check::Checker::new(rules);
    for chunk in file.chunks(CHUNK) {
        checker.feed(black_box(chunk));
    }
    let verdict = black_box(checker.finish());
    (verdict, start.elapsed())
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` passes nothing and wants a quick run.
    let full = std::env::args().any(|a| a == "--bench");
    let sizes: &[(u64, usize)] = if full {
        &[(50_000, 20), (500_000, 8)]
    } else {
        &[(2_000, 1)]
    };
    let header = synth::standard_header();
    let rules = check::PoolRules::new(header.clone());
    for &(rows, runs) in sizes {
        let mut file = Vec::with_capacity(rows as usize * 220);
        let bytes = synth::write_users(&mut file, &header, rows, 0x5EED).expect("writing to a Vec");
        assert_eq!(bytes, file.len() as u64);
        let (verdict, _) = check_once(&rules, &file); // warm-up
        assert!(
            verdict.is_clean(),
            "synth file not clean: {:?}",
            &verdict.problems[..verdict.problems.len().min(5)]
        );
        assert_eq!(verdict.rows, rows);
        let best = (0..runs)
            .map(|_| {
                let (verdict, took) = check_once(&rules, &file);
                assert!(verdict.is_clean());
                took
            })
            .min()
            .expect("at least one run");
        let mb = bytes as f64 / 1e6;
        println!(
            "checker: {mb:.1} MB, {rows} rows in {:.3} s = {:.0} MB/s (one core; MB = 10^6 bytes; best of {runs}, 64 KiB chunks)",
            best.as_secs_f64(),
            mb / best.as_secs_f64()
        );
    }
}
