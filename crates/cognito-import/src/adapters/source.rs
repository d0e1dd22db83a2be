//! What becomes of a dropped CSV once its import has ended (`SOURCE_OBJECT_POLICY`): kept, tagged
//! `cognito-import-outcome=<outcome>` (the bucket's lifecycle rules act on the tag), or deleted
//! after a Succeeded import — the file holds personal data. Only the version that was imported is
//! touched; a newer upload under the same key is its own import.

use aws_sdk_s3::Client;
use aws_sdk_s3::error::DisplayErrorContext;
use aws_sdk_s3::types::{Tag, Tagging};
use tracing::{info, warn};

use crate::adapters::s3cas::is_gone;
use crate::domain::config::SourcePolicy;
use crate::domain::record::Record;

/// The tag the function sets on source objects.
pub const OUTCOME_TAG: &str = "cognito-import-outcome";

/// What [`settle`] will do for `outcome`, in the words it reports.
pub fn planned(policy: SourcePolicy, outcome: &str) -> String {
    match policy {
        SourcePolicy::Keep => "kept".into(),
        SourcePolicy::Delete if outcome == "Succeeded" => "deleted".into(),
        _ => format!("tagged {OUTCOME_TAG}={outcome}"),
    }
}

/// Applies the policy for `outcome` (Succeeded, Failed, Stopped, Rejected); says what was done.
/// Failures are logged, never fatal: the import itself is over.
pub async fn settle(s3: &Client, policy: SourcePolicy, record: &Record, outcome: &str) -> String {
    let done = planned(policy, outcome);
    let result = match policy {
        SourcePolicy::Keep => return done,
        SourcePolicy::Delete if outcome == "Succeeded" => delete_version(s3, record).await.map(|()| done),
        _ => tag(s3, record, outcome).await.map(|()| done),
    };
    match result {
        Ok(done) => {
            info!(source_object = %done, "source object settled");
            done
        }
        Err(e) => {
            warn!(error = %e, "could not apply the source object policy");
            format!("kept (the policy failed: {e})")
        }
    }
}

/// Applying the source object policy failed.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("{call}: {detail}")]
    Call { call: &'static str, detail: String },
    #[error("the tag is not valid: {0}")]
    Tag(#[from] aws_sdk_s3::error::BuildError),
    #[error("the object was replaced since; the new version is left alone")]
    Replaced,
}

fn call_error<E>(call: &'static str, e: aws_sdk_s3::error::SdkError<E>) -> SourceError
where
    E: std::error::Error + Send + Sync + 'static,
{
    SourceError::Call {
        call,
        detail: DisplayErrorContext(e).to_string(),
    }
}

/// Adds the outcome tag to the version's own tags (PutObjectTagging replaces them all).
async fn tag(s3: &Client, record: &Record, outcome: &str) -> Result<(), SourceError> {
    let existing = s3
        .get_object_tagging()
        .bucket(&record.bucket)
        .key(&record.key)
        .set_version_id(record.version_id.clone())
        .send()
        .await
        .map_err(|e| call_error("GetObjectTagging", e))?;
    let mut tags: Vec<Tag> = existing.tag_set.into_iter().filter(|t| t.key != OUTCOME_TAG).collect();
    tags.push(Tag::builder().key(OUTCOME_TAG).value(outcome).build()?);
    let tagging = Tagging::builder().set_tag_set(Some(tags)).build()?;
    s3.put_object_tagging()
        .bucket(&record.bucket)
        .key(&record.key)
        .set_version_id(record.version_id.clone())
        .tagging(tagging)
        .send()
        .await
        .map_err(|e| call_error("PutObjectTagging", e))?;
    Ok(())
}

/// Deletes exactly the imported version: by version id, or (an unversioned bucket) only while
/// the key still holds the imported ETag (a conditional delete).
async fn delete_version(s3: &Client, record: &Record) -> Result<(), SourceError> {
    let mut delete = s3.delete_object().bucket(&record.bucket).key(&record.key);
    delete = match &record.version_id {
        Some(version) => delete.version_id(version),
        None => delete.if_match(format!("\"{}\"", record.etag)),
    };
    match delete.send().await {
        Ok(_) => Ok(()),
        Err(e) if is_gone(&e) => Err(SourceError::Replaced),
        Err(e) => Err(call_error("DeleteObject", e)),
    }
}
