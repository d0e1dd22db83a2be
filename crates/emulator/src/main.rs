//! `cognito-import-emulator`: the local stand-in as a server that the AWS CLI and SDKs point at.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use cognito_import_emulator::{Emulator, EmulatorConfig};

/// Serves Cognito user import jobs, S3 and CloudWatch Logs on one endpoint.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:4566")]
    bind: SocketAddr,
    /// Directory for S3 buckets (kept across restarts); a temporary one when absent.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    #[arg(long, default_value = "us-east-1")]
    region: String,
    #[arg(long, default_value = "111111111111")]
    account_id: String,
    /// Access key accepted in SigV4 signatures.
    #[arg(long, default_value = "test")]
    access_key: String,
    /// Secret key for --access-key.
    #[arg(long, default_value = "test")]
    secret_key: String,
    /// Milliseconds between a job's status steps.
    #[arg(long, default_value_t = 20)]
    job_step_ms: u64,
    /// Accept import files whose header holds only some of the pool's columns.
    #[arg(long)]
    allow_partial_header: bool,
    /// Make GetCSVHeader list `password_hash` (a pool that supports password hash imports).
    #[arg(long)]
    csv_header_lists_password_hash: bool,
    /// Serve the import operations at any rate (no 5/s per pool, 15/s and 20/s per account quotas).
    #[arg(long)]
    no_cognito_quotas: bool,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,s3s=warn".into()),
        )
        .init();
    let args = Args::parse();
    if let Some(dir) = &args.data_dir {
        std::fs::create_dir_all(dir)?;
    }
    let config = EmulatorConfig {
        bind: args.bind,
        data_dir: args.data_dir,
        region: args.region,
        account_id: args.account_id,
        credentials: vec![(args.access_key, args.secret_key)],
        job_step: Duration::from_millis(args.job_step_ms),
        require_full_header: !args.allow_partial_header,
        csv_header_lists_password_hash: args.csv_header_lists_password_hash,
        cognito_quotas: !args.no_cognito_quotas,
        ..EmulatorConfig::default()
    };
    let emulator = Emulator::start(config).await?;
    // Scripts wait for this exact line on stdout.
    println!("listening on {}", emulator.endpoint());
    tokio::signal::ctrl_c().await?;
    Ok(())
}
