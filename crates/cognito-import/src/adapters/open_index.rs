//! The index of open state records: one small marker object per record that is not final, so that
//! the scheduled pass and a drop's queue run list the markers and read only open records, however
//! many finished ones the state prefix holds. The ledger ([`crate::adapters::ledger`]) decides when
//! a marker is written and removed; this file holds the key layout and the S3 calls.
//!
//! ## Key layout
//!
//! ```text
//! <P><object key>@<version tag>.json              the state record (the source of truth)
//! <P>queue.lock                                   the queue lock
//! <P><P>index/open/<object key>@<version tag>     the marker of an open record
//! <P><P>index/built                               the index exists (when, and whether settled)
//! ```
//!
//! `<P>` is `STATE_PREFIX` (it ends with '/'). Everything under `<P><P>` belongs to the index: a
//! record there would be the record of an object whose key starts with `<P>`, and the ledger
//! refuses to claim such an object (the function ignores its own output anyway, and the
//! configuration keeps `DROP_PREFIX` and `STATE_PREFIX` apart). So however a dropped key is
//! spelled, no record falls under `<P><P>`, and a listing of `<P><P>index/open/` returns markers
//! only. The lock (`queue.lock`, no '/') is not under `<P><P>index/` either. A marker's key is the
//! record's key moved under the index (without `.json`), so the record it stands for is found
//! without reading the marker; and no index key ends with `.json`, which the state records do.

use aws_sdk_s3::Client;
use aws_sdk_s3::error::DisplayErrorContext;
use aws_sdk_s3::primitives::ByteStream;
use serde::{Deserialize, Serialize};

use crate::adapters::s3cas::{self, CasError};
use crate::domain::record::now_secs;

/// What the `built` object says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Built {
    /// When the scan that built the index began (seconds since the epoch).
    pub built_at: u64,
    /// When the second scan, for records written around the upgrade, ended; `None` before it.
    #[serde(default)]
    pub settled_at: Option<u64>,
    /// When this object was last written (it is rewritten before the bucket's expiry could
    /// remove it).
    pub written_at: u64,
}

/// A marker as listed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Marker {
    /// The key of the record it stands for.
    pub record_key: String,
    /// Seconds since the marker was last written.
    pub age: u64,
}

/// Markers of one state prefix.
#[derive(Clone)]
pub struct OpenIndex {
    s3: Client,
    /// `STATE_PREFIX`.
    prefix: String,
    /// `<P><P>`: everything under it is the index's.
    reserved: String,
}

fn s3_error<E>(action: &'static str, bucket: &str, key: &str, err: E) -> CasError
where
    E: std::error::Error,
{
    CasError::S3 {
        action,
        bucket: bucket.to_owned(),
        key: key.to_owned(),
        detail: DisplayErrorContext(err).to_string(),
    }
}

impl OpenIndex {
    pub fn new(s3: Client, prefix: &str) -> OpenIndex {
        OpenIndex {
            s3,
            prefix: prefix.to_owned(),
            reserved: format!("{prefix}{prefix}"),
        }
    }

    /// Whether `key` lies in the index's part of the state prefix (never a record).
    pub fn is_reserved(&self, key: &str) -> bool {
        key.starts_with(&self.reserved)
    }

    /// The prefix the markers are listed under.
    pub fn open_prefix(&self) -> String {
        format!("{}index/open/", self.reserved)
    }

    /// The key of the object saying the index is built.
    pub fn built_key(&self) -> String {
        format!("{}index/built", self.reserved)
    }

    /// The marker key of the record at `record_key` (`None` for a key that is not a record's).
    pub fn marker_key(&self, record_key: &str) -> Option<String> {
        if self.is_reserved(record_key) {
            return None;
        }
        let name = record_key.strip_prefix(&self.prefix)?.strip_suffix(".json")?;
        Some(format!("{}{name}", self.open_prefix()))
    }

    /// The record key a marker stands for (`None` for a key that is not a marker's).
    pub fn record_key(&self, marker_key: &str) -> Option<String> {
        let name = marker_key.strip_prefix(&self.open_prefix())?;
        Some(format!("{}{name}.json", self.prefix))
    }

    fn marker(&self, bucket: &str, record_key: &str) -> Result<String, CasError> {
        self.marker_key(record_key).ok_or_else(|| CasError::S3 {
            action: "index",
            bucket: bucket.to_owned(),
            key: record_key.to_owned(),
            detail: "not the key of a state record".into(),
        })
    }

    /// Writes the marker of the record at `record_key` (anew if it is there: a fresh write time).
    pub async fn mark(&self, bucket: &str, record_key: &str) -> Result<(), CasError> {
        let key = self.marker(bucket, record_key)?;
        let body = serde_json::json!({ "record": record_key, "markedAt": now_secs() });
        self.s3
            .put_object()
            .bucket(bucket)
            .key(&key)
            .content_type("application/json")
            .body(ByteStream::from(body.to_string().into_bytes()))
            .send()
            .await
            .map_err(|e| s3_error("mark", bucket, &key, e))?;
        Ok(())
    }

    /// Whether the record at `record_key` has its marker.
    pub async fn is_marked(&self, bucket: &str, record_key: &str) -> Result<bool, CasError> {
        let key = self.marker(bucket, record_key)?;
        match self.s3.head_object().bucket(bucket).key(&key).send().await {
            Ok(_) => Ok(true),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => Ok(false),
            Err(e) => Err(s3_error("look for", bucket, &key, e)),
        }
    }

    /// Removes the marker of the record at `record_key` (nothing if there is none).
    pub async fn unmark(&self, bucket: &str, record_key: &str) -> Result<(), CasError> {
        let key = self.marker(bucket, record_key)?;
        self.s3
            .delete_object()
            .bucket(bucket)
            .key(&key)
            .send()
            .await
            .map_err(|e| s3_error("unmark", bucket, &key, e))?;
        Ok(())
    }

    /// Every marker, in key order.
    pub async fn markers(&self, bucket: &str) -> Result<Vec<Marker>, CasError> {
        let prefix = self.open_prefix();
        let now = now_secs() as i64;
        let mut markers = Vec::new();
        for (key, modified) in self.list(bucket, &prefix).await? {
            if let Some(record_key) = self.record_key(&key) {
                let age = now.saturating_sub(modified).max(0) as u64;
                markers.push(Marker { record_key, age });
            }
        }
        Ok(markers)
    }

    /// Keys under `prefix` with their last-modified times (seconds since the epoch).
    pub async fn list(&self, bucket: &str, prefix: &str) -> Result<Vec<(String, i64)>, CasError> {
        let mut keys = Vec::new();
        let mut pages = self
            .s3
            .list_objects_v2()
            .bucket(bucket)
            .prefix(prefix)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| s3_error("list", bucket, prefix, e))?;
            for object in page.contents() {
                if let (Some(key), Some(modified)) = (object.key(), object.last_modified()) {
                    keys.push((key.to_owned(), modified.secs()));
                }
            }
        }
        Ok(keys)
    }

    /// What the `built` object says; `None` when there is none (or it is unreadable: the index is
    /// then built again, which only adds markers).
    pub async fn built(&self, bucket: &str) -> Result<Option<Built>, CasError> {
        match s3cas::read::<Built>(&self.s3, bucket, &self.built_key()).await {
            Ok(found) => Ok(found.map(|(built, _)| built)),
            Err(e @ CasError::Corrupt { .. }) => {
                tracing::warn!(error = %e, "the index's built marker is unreadable; building the index again");
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// Writes the `built` object.
    pub async fn set_built(&self, bucket: &str, built: &Built) -> Result<(), CasError> {
        let key = self.built_key();
        let body = serde_json::to_vec(built).expect("the built marker serialises");
        self.s3
            .put_object()
            .bucket(bucket)
            .key(&key)
            .content_type("application/json")
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(|e| s3_error("write", bucket, &key, e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(prefix: &str) -> OpenIndex {
        let config = aws_sdk_s3::Config::builder()
            .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
            .build();
        OpenIndex::new(Client::from_conf(config), prefix)
    }

    /// Object keys spelled to look like the index, the lock or a record.
    const HOSTILE: [&str; 9] = [
        "incoming/a.csv",
        "import-state/import-state/index/open/x.csv",
        "import-state/index/built",
        "import-state/index/open/y.csv",
        "index/open/z.csv",
        "queue.lock",
        "incoming/a@b.json.csv",
        "incoming/ünï cödé/ç.csv",
        "/",
    ];

    #[test]
    fn no_record_key_falls_under_the_index_and_markers_map_back_to_their_records() {
        for prefix in ["import-state/", "s/", "a/b/"] {
            let index = index(prefix);
            let lock = format!("{prefix}queue.lock");
            assert!(!index.is_reserved(&lock));
            assert!(!lock.starts_with(&index.open_prefix()));
            assert!(!index.built_key().starts_with(&index.open_prefix()));
            assert!(!index.built_key().ends_with(".json"));
            for object in HOSTILE {
                // The ledger claims no object whose key starts with the state prefix.
                if object.starts_with(prefix) {
                    continue;
                }
                for tag in ["3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY", "\"etag\""] {
                    let record = format!("{prefix}{object}@{tag}.json");
                    assert!(!index.is_reserved(&record), "{record}");
                    let marker = index.marker_key(&record).unwrap();
                    assert!(marker.starts_with(&index.open_prefix()), "{marker}");
                    assert!(!marker.ends_with(".json"), "{marker}");
                    assert_ne!(marker, lock);
                    assert_eq!(index.record_key(&marker).as_deref(), Some(record.as_str()));
                }
            }
            // Neither the lock nor an index key is taken for a record.
            assert_eq!(index.marker_key(&lock), None);
            assert_eq!(index.marker_key(&index.built_key()), None);
            assert_eq!(index.record_key(&lock), None);
            assert_eq!(index.record_key(&index.built_key()), None);
        }
    }
}
