//! The operator's command line, `cognito-import`: `local`, `handle`, `generate`, `check`.

mod check;
mod local;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(version, about = "Drop a CSV in S3, get a finished Amazon Cognito user import job")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the whole drop → import flow on the embedded local stand-in and reports the outcome.
    Local {
        /// The CSV file to import.
        file: PathBuf,
        /// Print the summary as one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Runs the Lambda handler once on an event file, with the configuration and AWS credentials of
    /// the environment (as the deployed function would), and prints its answer.
    Handle {
        /// A JSON event: S3 notification, EventBridge, SQS batch or {"bucket", "key"}.
        #[arg(long)]
        event: PathBuf,
    },
    /// Checks a CSV file as the function would, offline or against a live pool: every problem by
    /// line, column and rule, what normalising would change, the parts a split would make; with
    /// --fix, writes the file as it would be uploaded.
    Check(check::CheckArgs),
    /// Writes a file of realistic users for the standard header (for trials and benchmarks).
    Generate {
        /// Where to write the CSV.
        out: PathBuf,
        #[arg(long, default_value_t = 1000)]
        rows: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

fn init_logs(default: &str) {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| default.into()))
        .init();
}

async fn handle_once(path: &std::path::Path) -> Result<serde_json::Value, Box<dyn std::error::Error + Send + Sync>> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let event = serde_json::from_str(&text).map_err(|e| format!("{} is not JSON: {e}", path.display()))?;
    let config = cognito_import::domain::config::Config::from_env()?;
    let sdk = cognito_import::app::aws_config().await;
    let app = cognito_import::app::App::new(config, &sdk);
    let event = lambda_runtime::LambdaEvent::new(event, lambda_runtime::Context::default());
    Ok(cognito_import::handler::handle(&app, event).await?)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Local { file, json } => {
            // The function's steps; the stand-in's own chatter stays at warn.
            init_logs("warn,cognito_import=info,cognito_import_emulator=warn");
            let runtime = tokio::runtime::Runtime::new().expect("a Tokio runtime");
            match runtime.block_on(local::run(&file, json)) {
                Ok(true) => ExitCode::SUCCESS,
                Ok(false) => ExitCode::FAILURE,
                Err(e) => {
                    eprintln!("cognito-import local: {e}");
                    ExitCode::from(2)
                }
            }
        }
        Command::Handle { event } => {
            init_logs("info,aws_config=warn");
            let runtime = tokio::runtime::Runtime::new().expect("a Tokio runtime");
            match runtime.block_on(handle_once(&event)) {
                Ok(answer) => {
                    println!("{answer}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("cognito-import handle: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Check(args) => {
            init_logs("warn");
            match check::run(&args) {
                Ok(true) => ExitCode::SUCCESS,
                Ok(false) => ExitCode::FAILURE,
                Err(e) => {
                    eprintln!("cognito-import check: {e}");
                    ExitCode::from(2)
                }
            }
        }
        Command::Generate { out, rows, seed } => {
            let header = cognito_import_testkit::synth::standard_header();
            let written = std::fs::File::create(&out)
                .map(std::io::BufWriter::new)
                .and_then(|mut w| {
                    let n = cognito_import_testkit::synth::write_users(&mut w, &header, rows, seed)?;
                    std::io::Write::flush(&mut w)?;
                    Ok(n)
                });
            match written {
                Ok(bytes) => {
                    eprintln!("wrote {rows} users ({bytes} bytes) to {}", out.display());
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("cognito-import generate: cannot write {}: {e}", out.display());
                    ExitCode::from(2)
                }
            }
        }
    }
}
