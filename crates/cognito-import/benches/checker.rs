//! Throughput of the import-file checker and of the preparer in front of it, on realistic files
//! (one core, release).
//!
//! Generates a ~10 MB and a ~100 MB user CSV with `synth` in memory and feeds it in 64 KiB chunks
//! (as the Lambda function reads an S3 object) to: the `Checker` alone; the `Preparer` (decoder,
//! header completer, checker: what the function runs) on the same Cognito-dialect file; the same
//! table as Excel's "CSV UTF-8" writes it (byte-order mark, CRLF, quoted where needed); as an
//! exporter that quotes every field writes it; with only 6 of its 21 columns (the header
//! completed); and those 6 with an argon2id password hash a row (each read and bounds-checked).
//! Prints one line each with the best of a few runs. MB is 10^6 bytes of the file as dropped.
//! Nothing is asserted about time; every verdict must be clean.

use std::hint::black_box;
use std::time::{Duration, Instant};

use cognito_import::check;
use cognito_import_testkit::exports::Exporter;
use cognito_import_testkit::synth;

const CHUNK: usize = 64 * 1024;

/// One way of reading a file: its chunks in, the verdict out.
type Reader<'a> = dyn FnMut(&mut dyn Iterator<Item = &[u8]>) -> check::Verdict + 'a;

/// Runs `feed` over the file's chunks and `finish` at the end; the verdict and the time taken.
fn time(
    file: &[u8],
    mut run: impl FnMut(&mut dyn Iterator<Item = &[u8]>) -> check::Verdict,
) -> (check::Verdict, Duration) {
    let start = Instant::now();
    let verdict = black_box(run(&mut file.chunks(CHUNK).map(black_box)));
    (verdict, start.elapsed())
}

fn checker(rules: &check::PoolRules) -> impl FnMut(&mut dyn Iterator<Item = &[u8]>) -> check::Verdict + '_ {
    move |chunks| {
        let mut checker = check::Checker::new(rules);
        chunks.for_each(|chunk| checker.feed(chunk));
        checker.finish()
    }
}

fn preparer(rules: &check::PoolRules) -> impl FnMut(&mut dyn Iterator<Item = &[u8]>) -> check::Verdict + '_ {
    let options = check::Options {
        dialect: check::Dialect::Auto,
        complete_header: true,
        hashing: None,
    };
    move |chunks| {
        let mut preparer = check::Preparer::new(rules, options);
        let mut out = 0usize;
        for chunk in chunks {
            out += black_box(preparer.feed(chunk)).len();
        }
        let (tail, prepared) = preparer.finish();
        assert_eq!((out + tail.len()) as u64, prepared.normalised.bytes_out);
        prepared.verdict
    }
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
    let strict = check::PoolRules {
        require_full_header: false,
        ..rules.clone()
    };
    for &(rows, runs) in sizes {
        let mut file = Vec::with_capacity(rows as usize * 220);
        let bytes = synth::write_users(&mut file, &header, rows, 0x5EED).expect("writing to a Vec");
        assert_eq!(bytes, file.len() as u64);
        let excel = Exporter::ExcelCsvUtf8.rewrite(&file);
        let quote_all = Exporter::QuoteAll.rewrite(&file);
        let team: Vec<String> = [
            "cognito:username",
            "email",
            "email_verified",
            "given_name",
            "name",
            "address",
        ]
        .map(String::from)
        .to_vec();
        let mut partial = Vec::new();
        synth::write_users(&mut partial, &team, rows, 0x5EED).expect("writing to a Vec");
        // The same team's columns and a password hash a row, in Cognito's dialect: argon2id's PHC
        // string (the most parsing), its output 16 bytes so that 500,000 rows stay under 100 MB.
        let hash = "$argon2id$v=19$m=19456\\,t=2\\,p=1$c29tZXNhbHRzb21lc2FsdA$aGFzaGhhc2hoYXNoaGFzaA";
        let mut hashed = Vec::with_capacity(partial.len() + rows as usize * (hash.len() + 1));
        for (i, line) in partial.split_inclusive(|&b| b == b'\n').enumerate() {
            hashed.extend_from_slice(line.strip_suffix(b"\n").unwrap_or(line));
            hashed.push(b',');
            hashed.extend_from_slice(if i == 0 { "password_hash" } else { hash }.as_bytes());
            hashed.push(b'\n');
        }
        let partial = Exporter::Pandas.rewrite(&partial);
        let cases: [(&str, &[u8], &mut Reader); 6] = [
            ("checker, Cognito's dialect", &file, &mut checker(&rules)),
            ("preparer, Cognito's dialect", &file, &mut preparer(&strict)),
            ("preparer, Excel CSV UTF-8", &excel, &mut preparer(&strict)),
            ("preparer, every field quoted", &quote_all, &mut preparer(&strict)),
            ("preparer, pandas, 6 of 21 columns", &partial, &mut preparer(&strict)),
            (
                "preparer, 6 columns and an argon2id hash",
                &hashed,
                &mut preparer(&strict),
            ),
        ];
        for (name, input, run) in cases {
            let (verdict, _) = time(input, &mut *run); // warm-up
            assert!(
                verdict.is_clean(),
                "{name}: not clean: {:?}",
                &verdict.problems[..verdict.problems.len().min(5)]
            );
            assert_eq!(verdict.rows, rows);
            let best = (0..runs)
                .map(|_| time(input, &mut *run).1)
                .min()
                .expect("at least one run");
            let mb = input.len() as f64 / 1e6;
            println!(
                "{name}: {mb:.1} MB, {rows} rows in {:.3} s = {:.0} MB/s (one core; MB = 10^6 bytes as dropped; best of {runs}, 64 KiB chunks)",
                best.as_secs_f64(),
                mb / best.as_secs_f64()
            );
        }
    }
}
