//! The bytes a job is given, read again from S3 where there is no spool: for an upload retried
//! by a later invocation or of a later part, and for the per-line report. A file that preparing
//! changed, or a part of a split one, is prepared (and cut) again as it streams; a file left alone
//! is read as it is.

use crate::adapters::fetch::{self, Chunks};
use crate::adapters::objects::{self, ObjectError};
use crate::adapters::pool::PoolError;
use crate::app::App;
use crate::check::Normalised;
use crate::domain::record::Record;

#[derive(Debug, thiserror::Error)]
pub enum PreparedError {
    #[error(transparent)]
    Pool(#[from] PoolError),
    #[error(transparent)]
    Object(#[from] ObjectError),
}

/// What the record's current job is given: the version as prepared, or its current part; `None`
/// if the version is gone.
pub async fn upload(app: &App, record: &Record) -> Result<Option<Chunks>, PreparedError> {
    let part = record.current_part().map(|p| p.info.number);
    read(app, record, part, record.upload_size()).await
}

/// The whole version as prepared (the lines of every part, numbered as in the source), for the
/// per-line report; `None` if the version is gone.
pub async fn whole(app: &App, record: &Record) -> Result<Option<Chunks>, PreparedError> {
    let size = record.normalised.as_ref().map_or(record.size, |n| n.bytes_out);
    read(app, record, None, size).await
}

async fn read(app: &App, record: &Record, part: Option<u32>, size: u64) -> Result<Option<Chunks>, PreparedError> {
    let changed = record.normalised.as_ref().is_some_and(Normalised::changed);
    if !changed && part.is_none() {
        return Ok(objects::open(&app.s3, record).await?.map(fetch::chunks));
    }
    // Prepared from ranged GETs of the pinned version: a HeadObject says whether it is still there.
    if objects::pin(&app.s3, &record.object()).await?.is_none() {
        return Ok(None);
    }
    let rules = app.pool.rules(app.config.require_full_header).await?;
    let options = app.config.prepare_options();
    Ok(Some(fetch::prepared(&app.s3, record, &rules, options, part, size)))
}
