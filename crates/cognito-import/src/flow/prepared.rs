//! The bytes a job is given, read again from S3 where there is no spool: for an upload retried
//! by a later invocation, and for the per-line report (whose line numbers are the uploaded file's).
//! A file that preparing changed is prepared again as it streams; one it left alone is read as is.

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

/// The record's version as uploaded, or `None` if the version is gone.
pub async fn source(app: &App, record: &Record) -> Result<Option<Chunks>, PreparedError> {
    if record.normalised.as_ref().is_some_and(Normalised::changed) {
        if objects::open(&app.s3, record).await?.is_none() {
            return Ok(None);
        }
        let rules = app.pool.rules(app.config.require_full_header).await?;
        return Ok(Some(fetch::prepared(&app.s3, record, &rules, app.config.prepare_options())));
    }
    Ok(objects::open(&app.s3, record).await?.map(fetch::chunks))
}
