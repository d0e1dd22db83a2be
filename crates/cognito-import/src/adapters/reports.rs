//! The reports written to the drop bucket (see [`crate::domain::report`] for what they hold): the
//! rejection report, the summary, and the per-line CSV, which is joined from the job's log and
//! the source version in one streaming pass through a local temporary file.

use std::io::Write as _;

use aws_sdk_s3::Client;
use aws_sdk_s3::error::DisplayErrorContext;
use aws_sdk_s3::primitives::ByteStream;
use futures::StreamExt;
use serde::Serialize;

use crate::adapters::fetch::Chunks;
use crate::check::Verdict;
use crate::domain::record::Record;
use crate::domain::report::{ImportedHashes, Joiner, LineOutcome, LineSplitter, Logs, Rejection, Summary, keys};

/// Writing a report failed.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("writing the report {key} failed: {detail}")]
    Write { key: String, detail: String },
    #[error("reading the source object for the per-line report failed: {0}")]
    Source(String),
    #[error("spooling the per-line report to local disk failed: {0}")]
    Disk(#[from] std::io::Error),
}

/// Writes the rejection report of `record`; returns its key.
pub async fn write_rejection(
    s3: &Client,
    report_prefix: &str,
    pool_id: &str,
    record: &Record,
    verdict: &Verdict,
) -> Result<String, ReportError> {
    let (key, _) = keys(report_prefix, record);
    put_json(s3, &record.bucket, &key, &Rejection::new(pool_id, record, verdict)).await?;
    Ok(key)
}

pub async fn write_summary(s3: &Client, summary: &Summary) -> Result<(), ReportError> {
    put_json(s3, &summary.bucket, &summary.report_key, summary).await
}

async fn put_json<T: Serialize>(s3: &Client, bucket: &str, key: &str, value: &T) -> Result<(), ReportError> {
    let body = ByteStream::from(serde_json::to_vec_pretty(value).expect("a report serialises"));
    put(s3, bucket, key, "application/json", body).await
}

async fn put(s3: &Client, bucket: &str, key: &str, content_type: &str, body: ByteStream) -> Result<(), ReportError> {
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .content_type(content_type)
        .body(body)
        .send()
        .await
        .map_err(|e| ReportError::Write {
            key: key.to_owned(),
            detail: DisplayErrorContext(e).to_string(),
        })?;
    Ok(())
}

/// Streams the source version line by line into `joiner`.
pub async fn join_source<W: std::io::Write>(mut body: Chunks, joiner: &mut Joiner<'_, W>) -> Result<(), ReportError> {
    let mut lines = LineSplitter::default();
    while let Some(chunk) = body
        .next()
        .await
        .transpose()
        .map_err(|e| ReportError::Source(e.to_string()))?
    {
        lines.feed(&chunk, joiner)?;
    }
    lines.finish(joiner)?;
    Ok(())
}

/// Writes the per-line CSV through a local temporary file (flat memory for 500,000 lines) and
/// puts it at `key`; returns the listed failed or skipped lines, and for a hash file the users
/// imported with and without a hash.
pub async fn write_lines(
    s3: &Client,
    bucket: &str,
    key: &str,
    logs: &Logs,
    source: Option<Chunks>,
) -> Result<(Vec<LineOutcome>, Option<ImportedHashes>), ReportError> {
    let file = crate::adapters::spool::owned_temp_file("lines-", ".csv")?;
    let mut joiner = logs.joiner(std::io::BufWriter::new(file.reopen()?))?;
    if let Some(body) = source {
        join_source(body, &mut joiner).await?;
    }
    let (listed, hashes, mut out) = joiner.finish()?;
    out.flush()?;
    drop(out);
    let body = ByteStream::from_path(file.path())
        .await
        .map_err(|e| ReportError::Disk(std::io::Error::other(e)))?;
    put(s3, bucket, key, "text/csv; charset=utf-8", body).await?;
    Ok((listed, hashes))
}
