//! Objects with their versions, as S3 keeps them: s3s-fs holds each key's current object, the
//! history store the older ones, the index each key's list (see `versions`). An unversioned bucket
//! goes straight to s3s-fs, as before versioning was emulated. Each call here acts on one key,
//! and its caller holds that key's lock.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use http::HeaderValue;
use s3s::dto::*;
use s3s::{S3, S3Error, S3Request, S3Response, S3Result, s3_error};

use crate::s3::disk::{Disk, io_error};
use crate::s3::history::{History, Keep};
use crate::s3::listing::{self, Ask, Item};
use crate::s3::tags::{ObjectTags, Tags};
use crate::s3::versions::{self, Found, Index, Miss, NULL, State, Status, Version};
use crate::s3::walk::Tree;

/// Every object of every bucket, each version.
pub struct Objects {
    /// The current objects (and the buckets).
    pub fs: Disk,
    /// s3s-fs's files of the current objects, for listings (see `walk`).
    tree: Tree,
    history: History,
    index: Index,
    /// The tags of the current objects (older versions keep theirs in the index).
    pub tags: Arc<ObjectTags>,
}

/// S3 marks an answer about a delete marker with `x-amz-delete-marker: true` and its id.
fn about_marker(mut err: S3Error, id: &str) -> S3Error {
    let mut headers = http::HeaderMap::new();
    headers.insert("x-amz-delete-marker", HeaderValue::from_static("true"));
    if let Ok(id) = HeaderValue::from_str(id) {
        headers.insert("x-amz-version-id", id);
    }
    err.set_headers(headers);
    err
}

/// S3's answer when a request names no object.
fn miss_error(miss: Miss) -> S3Error {
    match miss {
        Miss::Malformed => s3_error!(InvalidArgument, "Invalid version id specified"),
        Miss::NoSuchKey { marker } => {
            let err = s3_error!(NoSuchKey, "The specified key does not exist.");
            match marker {
                Some(id) => about_marker(err, &id),
                None => err,
            }
        }
        Miss::NoSuchVersion => s3_error!(NoSuchVersion, "The specified version does not exist."),
        Miss::Marker(id) => about_marker(
            s3_error!(
                MethodNotAllowed,
                "The specified method is not allowed against this resource."
            ),
            &id,
        ),
    }
}

/// A HeadObject of `bucket`/`key` carrying another request's context.
fn head_of<T: Clone>(req: &S3Request<T>, bucket: &str, key: &str) -> S3Request<HeadObjectInput> {
    req.clone().map_input(|_| HeadObjectInput {
        bucket: bucket.to_owned(),
        key: key.to_owned(),
        ..Default::default()
    })
}

impl Objects {
    /// s3s-fs on `root`, with an empty history store beside it.
    pub fn open(root: &Path, tags: Arc<ObjectTags>) -> Result<Objects, String> {
        let history = History::open(root).map_err(|e| format!("the version store: {e}"))?;
        let fs = Disk::open(root)?;
        Ok(Objects {
            fs,
            tree: Tree::new(root),
            history,
            index: Index::default(),
            tags,
        })
    }

    pub fn status(&self, bucket: &str) -> Status {
        self.index.status(bucket)
    }

    pub fn set_status(&self, bucket: &str, status: Status) {
        self.index.set_status(bucket, status);
    }

    /// The versions of `key`, newest first (none in an unversioned bucket).
    fn versions(&self, bucket: &str, key: &str, status: Status) -> Vec<Version> {
        if status == Status::Unversioned {
            return Vec::new();
        }
        self.index.get(bucket, key).unwrap_or_else(|| {
            // Never written while versioning was on: what s3s-fs holds is the null version.
            if self.history.has_current(bucket, key) {
                vec![Version::current(NULL)]
            } else {
                Vec::new()
            }
        })
    }

    /// The version `requested` names (the current one without an id), or S3's error.
    pub fn find(&self, bucket: &str, key: &str, requested: Option<&str>) -> S3Result<Found> {
        let status = self.status(bucket);
        versions::find(status, &self.versions(bucket, key, status), requested).map_err(miss_error)
    }

    /// HeadObject of the version found.
    pub async fn head(&self, req: S3Request<HeadObjectInput>, found: &Found) -> S3Result<S3Response<HeadObjectOutput>> {
        let mut resp = match found {
            Found::Current(_) => self.fs.head_object(req).await?,
            Found::Kept { slot, .. } => {
                let req = req.map_input(|input| HeadObjectInput {
                    key: slot.clone(),
                    ..input
                });
                self.history.store().head_object(req).await?
            }
        };
        resp.output.version_id = found.id();
        Ok(resp)
    }

    /// GetObject of the version found (a range too). The body is an open file: whatever happens
    /// to the version later, it reads the bytes it opened.
    pub async fn get(&self, req: S3Request<GetObjectInput>, found: &Found) -> S3Result<S3Response<GetObjectOutput>> {
        let mut resp = match found {
            Found::Current(_) => self.fs.get_object(req).await?,
            Found::Kept { slot, .. } => {
                let req = req.map_input(|input| GetObjectInput {
                    key: slot.clone(),
                    ..input
                });
                self.history.store().get_object(req).await?
            }
        };
        resp.output.version_id = found.id();
        Ok(resp)
    }

    /// Writes a new current object of `key` with `write` (an s3s-fs PutObject, CopyObject or
    /// CompleteMultipartUpload, whose conditions test the current object); in a versioned bucket
    /// the object it replaces is kept first. Returns the write's answer and the new version's id.
    pub async fn write<T>(
        &self,
        bucket: &str,
        key: &str,
        write: impl Future<Output = S3Result<T>>,
    ) -> S3Result<(T, Option<String>)> {
        if !self.fs.has_bucket(bucket) {
            return Err(s3_error!(NoSuchBucket, "The specified bucket does not exist"));
        }
        let status = self.status(bucket);
        if status == Status::Unversioned {
            return Ok((write.await?, None));
        }
        let mut versions = self.versions(bucket, key, status);
        let id = versions::next_id(status);
        let kept = if versions::keeps_current(&versions, &id) {
            Some(self.history.keep(bucket, key, Keep::Copy).await.map_err(io_error)?)
        } else {
            None
        };
        let out = match write.await {
            Ok(out) => out,
            Err(e) => {
                if let Some(slot) = &kept {
                    self.history.discard(bucket, slot).await.map_err(io_error)?;
                }
                return Err(e);
            }
        };
        let kept = kept.map(|slot| (slot, self.tags.get(bucket, key)));
        let dropped = versions::supersede(&mut versions, Version::current(&id), kept);
        self.discard(bucket, dropped).await?;
        self.index.set(bucket, key, versions);
        Ok((out, Some(id)))
    }

    async fn discard(&self, bucket: &str, slots: Vec<String>) -> S3Result<()> {
        for slot in slots {
            self.history.discard(bucket, &slot).await.map_err(io_error)?;
        }
        Ok(())
    }

    /// DeleteObject in a versioned bucket: without a version id, a delete marker becomes the
    /// latest version (the object is kept); with one, that version goes, and nothing else.
    pub async fn delete(&self, bucket: &str, key: &str, requested: Option<&str>) -> S3Result<DeleteObjectOutput> {
        let status = self.status(bucket);
        let mut versions = self.versions(bucket, key, status);
        let Some(id) = requested else {
            let id = versions::next_id(status);
            let kept = if versions::keeps_current(&versions, &id) {
                let slot = self.history.keep(bucket, key, Keep::Move).await.map_err(io_error)?;
                Some((slot, self.tags.get(bucket, key)))
            } else {
                // Nothing, or a suspended bucket's null object, which the null marker replaces.
                self.history.remove_current(bucket, key).await.map_err(io_error)?;
                None
            };
            self.tags.set(bucket, key, Tags::new());
            let dropped = versions::supersede(&mut versions, Version::marker(&id), kept);
            self.discard(bucket, dropped).await?;
            self.index.set(bucket, key, versions);
            return Ok(DeleteObjectOutput {
                delete_marker: Some(true),
                version_id: Some(id),
                ..Default::default()
            });
        };
        if !versions::is_well_formed(id) {
            return Err(miss_error(Miss::Malformed));
        }
        // A version the key does not hold: nothing to do (see assumptions).
        let Some(removed) = versions::remove(&mut versions, id) else {
            return Ok(DeleteObjectOutput {
                version_id: Some(id.to_owned()),
                ..Default::default()
            });
        };
        match &removed.version.state {
            State::Current => {
                self.history.remove_current(bucket, key).await.map_err(io_error)?;
                self.tags.set(bucket, key, Tags::new());
            }
            State::Kept { slot, .. } => self.history.discard(bucket, slot).await.map_err(io_error)?,
            State::Marker { .. } => {}
        }
        if let Some((slot, tags)) = removed.restore {
            self.history.restore(bucket, &slot, key).await.map_err(io_error)?;
            self.tags.set(bucket, key, tags);
        }
        self.index.set(bucket, key, versions);
        Ok(DeleteObjectOutput {
            delete_marker: matches!(removed.version.state, State::Marker { .. }).then_some(true),
            version_id: Some(id.to_owned()),
            ..Default::default()
        })
    }

    /// The tags of the version found; for the current object, `head` (of it) first asks s3s-fs
    /// whether it exists (NoSuchBucket, NoSuchKey as S3 answers).
    pub async fn tags_of(&self, head: S3Request<HeadObjectInput>, found: &Found) -> S3Result<Tags> {
        match found {
            Found::Current(_) => {
                let (bucket, key) = (head.input.bucket.clone(), head.input.key.clone());
                self.fs.head_object(head).await?;
                Ok(self.tags.get(&bucket, &key))
            }
            Found::Kept { tags, .. } => Ok(tags.clone()),
        }
    }

    /// Replaces the tags of the version found (see [`Objects::tags_of`]).
    pub async fn retag(&self, head: S3Request<HeadObjectInput>, found: &Found, tags: Tags) -> S3Result<()> {
        let (bucket, key) = (head.input.bucket.clone(), head.input.key.clone());
        match found {
            Found::Current(_) => {
                self.fs.head_object(head).await?;
                self.tags.set(&bucket, &key, tags);
            }
            Found::Kept { id, .. } => {
                let mut versions = self.versions(&bucket, &key, self.status(&bucket));
                if !versions::retag(&mut versions, id, tags) {
                    return Err(miss_error(Miss::NoSuchVersion));
                }
                self.index.set(&bucket, &key, versions);
            }
        }
        Ok(())
    }

    /// ListObjectVersions: every version and delete marker under the prefix, a page at a time.
    pub async fn list_versions(
        &self,
        req: S3Request<ListObjectVersionsInput>,
    ) -> S3Result<S3Response<ListObjectVersionsOutput>> {
        let input = req.input.clone();
        let bucket = input.bucket.clone();
        let prefix = input.prefix.clone().unwrap_or_default();
        let current = self.current_keys(&bucket, &prefix).await?;
        let mut keys = match self.status(&bucket) {
            Status::Unversioned => BTreeMap::new(),
            _ => self.index.under(&bucket, &prefix),
        };
        for key in current {
            keys.entry(key).or_insert_with(|| vec![Version::current(NULL)]);
        }
        let max_keys = input.max_keys.map_or(1000, |n| n.clamp(0, 1000));
        let ask = Ask {
            prefix: &prefix,
            delimiter: input.delimiter.as_deref(),
            key_marker: input.key_marker.as_deref(),
            version_id_marker: input.version_id_marker.as_deref(),
            max_keys: max_keys as usize,
        };
        let page = listing::page(&keys, &ask).map_err(|_| miss_error(Miss::Malformed))?;

        let encode = listing::encoder(input.encoding_type.as_ref());
        let (mut objects, mut markers, mut prefixes) = (Vec::new(), Vec::new(), Vec::new());
        for item in page.items {
            let entry = match item {
                Item::Prefix(p) => {
                    prefixes.push(CommonPrefix {
                        prefix: Some(encode(&p)),
                    });
                    continue;
                }
                Item::Version(entry) => entry,
            };
            let (store, stored_as): (&dyn S3, &str) = match &entry.version.state {
                State::Marker { at } => {
                    markers.push(DeleteMarkerEntry {
                        is_latest: Some(entry.latest),
                        key: Some(encode(&entry.key)),
                        last_modified: Some(Timestamp::from(*at)),
                        version_id: Some(entry.version.id.clone()),
                        owner: None,
                    });
                    continue;
                }
                State::Current => (&self.fs, entry.key.as_str()),
                State::Kept { slot, .. } => (self.history.store(), slot.as_str()),
            };
            // A version that a concurrent write moved meanwhile is left out of this page.
            let Ok(head) = store.head_object(head_of(&req, &bucket, stored_as)).await else {
                continue;
            };
            objects.push(ObjectVersion {
                e_tag: head.output.e_tag,
                is_latest: Some(entry.latest),
                key: Some(encode(&entry.key)),
                last_modified: head.output.last_modified,
                size: head.output.content_length,
                storage_class: Some(ObjectVersionStorageClass::from_static(
                    ObjectVersionStorageClass::STANDARD,
                )),
                version_id: Some(entry.version.id.clone()),
                ..Default::default()
            });
        }
        Ok(S3Response::new(ListObjectVersionsOutput {
            name: Some(bucket),
            prefix: Some(encode(&prefix)),
            delimiter: input.delimiter.as_deref().map(encode),
            key_marker: Some(input.key_marker.as_deref().map(encode).unwrap_or_default()),
            version_id_marker: Some(input.version_id_marker.unwrap_or_default()),
            max_keys: Some(max_keys),
            is_truncated: Some(page.truncated),
            next_key_marker: page.next_key_marker.as_deref().map(encode),
            next_version_id_marker: page.next_version_id_marker,
            versions: some(objects),
            delete_markers: some(markers),
            common_prefixes: some(prefixes),
            encoding_type: input.encoding_type,
            ..Default::default()
        }))
    }

    /// The keys of `bucket`'s current objects under `prefix`, in no order (NoSuchBucket as S3
    /// answers it).
    async fn current_keys(&self, bucket: &str, prefix: &str) -> S3Result<Vec<String>> {
        self.tree
            .keys(bucket, prefix)
            .await
            .map_err(io_error)?
            .ok_or_else(|| s3_error!(NoSuchBucket, "The specified bucket does not exist"))
    }

    /// ListObjectsV2: the current objects under the prefix, a page at a time. The continuation
    /// token is the last key (or common prefix) of the page, which S3 keeps opaque.
    pub async fn list(&self, req: S3Request<ListObjectsV2Input>) -> S3Result<S3Response<ListObjectsV2Output>> {
        let input = req.input;
        let prefix = input.prefix.clone().unwrap_or_default();
        let keys: BTreeMap<String, Vec<Version>> = self
            .current_keys(&input.bucket, &prefix)
            .await?
            .into_iter()
            .map(|key| (key, vec![Version::current(NULL)]))
            .collect();
        let max_keys = input.max_keys.map_or(1000, |n| n.clamp(0, 1000));
        // Both resume points are honoured: the listing goes on after the later one.
        let after = input.continuation_token.as_deref().max(input.start_after.as_deref());
        let ask = Ask {
            prefix: &prefix,
            delimiter: input.delimiter.as_deref(),
            key_marker: after,
            version_id_marker: None,
            max_keys: max_keys as usize,
        };
        // Only a version id marker can be refused, and there is none.
        let page = listing::page(&keys, &ask).map_err(|_| miss_error(Miss::Malformed))?;

        let encode = listing::encoder(input.encoding_type.as_ref());
        let (mut listed, mut prefixes) = (Vec::new(), Vec::new());
        for item in page.items {
            match item {
                Item::Version(entry) => listed.push(entry.key),
                Item::Prefix(p) => prefixes.push(CommonPrefix {
                    prefix: Some(encode(&p)),
                }),
            }
        }
        let described = self
            .tree
            .describe(&input.bucket, listed.clone())
            .await
            .map_err(io_error)?;
        // An object deleted since the walk is left out of this page.
        let contents: Vec<Object> = listed
            .iter()
            .zip(described)
            .filter_map(|(key, described)| {
                let described = described?;
                Some(Object {
                    key: Some(encode(key)),
                    last_modified: Some(Timestamp::from(described.modified)),
                    size: i64::try_from(described.size).ok(),
                    e_tag: described.e_tag.map(ETag::Strong),
                    storage_class: Some(ObjectStorageClass::from_static(ObjectStorageClass::STANDARD)),
                    ..Default::default()
                })
            })
            .collect();
        // S3 answers MaxKeys=0 with an empty page that is not truncated.
        let truncated = page.truncated && max_keys > 0;
        Ok(S3Response::new(ListObjectsV2Output {
            name: Some(input.bucket),
            prefix: Some(encode(&prefix)),
            delimiter: input.delimiter.as_deref().map(encode),
            start_after: input.start_after.as_deref().map(encode),
            max_keys: Some(max_keys),
            key_count: Some((contents.len() + prefixes.len()) as i32),
            is_truncated: Some(truncated),
            continuation_token: input.continuation_token,
            next_continuation_token: page.next_key_marker.filter(|_| truncated),
            contents: some(contents),
            common_prefixes: some(prefixes),
            encoding_type: input.encoding_type,
            ..Default::default()
        }))
    }

    /// Forgets a deleted bucket's versions and tags.
    pub async fn remove_bucket(&self, bucket: &str) -> S3Result<()> {
        self.index.remove_bucket(bucket);
        self.tags.remove_bucket(bucket);
        self.history.remove_bucket(bucket).await.map_err(io_error)
    }
}

/// A list as s3s writes it: absent when empty.
fn some<T>(list: Vec<T>) -> Option<Vec<T>> {
    (!list.is_empty()).then_some(list)
}
