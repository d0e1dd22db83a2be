//! Reading the pinned version for the check: S3 serves each connection at a limited rate, so an
//! object larger than one part is read as ranged GETs, [`PARALLEL`] in flight, delivered in order.
//! Memory stays bounded: at most [`PARALLEL`] + 1 parts of [`PART`] bytes are held at once (those
//! in flight and the one being read).
//!
//! Every range names the same version (its version id, or `If-Match` on its ETag), so the parts
//! are of one object even if the key is overwritten meanwhile; then a part answers 404 or 412
//! and the read ends with [`FetchError::Gone`].

use aws_sdk_s3::Client;
use aws_sdk_s3::error::DisplayErrorContext;
use bytes::Bytes;
use futures::stream::{self, BoxStream, StreamExt};

use crate::adapters::s3cas::is_gone;
use crate::domain::record::Record;

/// Bytes per ranged GET.
pub const PART: u64 = 1024 * 1024;
/// Ranged GETs in flight.
pub const PARALLEL: usize = 4;

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The version is gone, or the key now holds another object.
    #[error("the object changed or was deleted while it was read")]
    Gone,
    #[error("reading bytes {start}-{end} of the object failed: {detail}")]
    S3 { start: u64, end: u64, detail: String },
}

/// The version's bytes, in order, in chunks of at most [`PART`] bytes.
pub fn read(s3: &Client, record: &Record) -> BoxStream<'static, Result<Bytes, FetchError>> {
    let ranges: Vec<(u64, u64)> = (0..record.size.div_ceil(PART))
        .map(|i| (i * PART, ((i + 1) * PART).min(record.size) - 1))
        .collect();
    let (s3, record) = (s3.clone(), record.clone());
    stream::iter(ranges)
        .map(move |(start, end)| part(s3.clone(), record.clone(), start, end))
        .buffered(PARALLEL)
        // Each part as the chunks it arrived in: no copy into one buffer.
        .flat_map(|part| match part {
            Ok(chunks) => stream::iter(chunks.into_iter().map(Ok)).boxed(),
            Err(e) => stream::once(async { Err(e) }).boxed(),
        })
        .boxed()
}

async fn part(s3: Client, record: Record, start: u64, end: u64) -> Result<Vec<Bytes>, FetchError> {
    let mut get = s3
        .get_object()
        .bucket(&record.bucket)
        .key(&record.key)
        .range(format!("bytes={start}-{end}"));
    get = match &record.version_id {
        Some(v) => get.version_id(v),
        None => get.if_match(format!("\"{}\"", record.etag)),
    };
    let s3_error = |detail: String| FetchError::S3 { start, end, detail };
    let out = match get.send().await {
        Ok(out) => out,
        Err(e) if is_gone(&e) => return Err(FetchError::Gone),
        Err(e) => return Err(s3_error(DisplayErrorContext(e).to_string())),
    };
    // A server that ignored the Range would send the whole object: refuse it before reading.
    let expected = end - start + 1;
    if out.content_length.is_some_and(|n| n as u64 != expected) {
        return Err(s3_error(format!("the answer holds {:?} bytes", out.content_length)));
    }
    let chunks: Vec<Bytes> = out
        .body
        .collect()
        .await
        .map_err(|e| s3_error(e.to_string()))?
        .into_segments()
        .collect();
    let got: u64 = chunks.iter().map(|c| c.len() as u64).sum();
    if got != expected {
        return Err(s3_error(format!("got {got} bytes")));
    }
    Ok(chunks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_cover_the_object_exactly() {
        let ranges = |size: u64| -> Vec<(u64, u64)> {
            (0..size.div_ceil(PART))
                .map(|i| (i * PART, ((i + 1) * PART).min(size) - 1))
                .collect()
        };
        assert_eq!(ranges(0), []);
        assert_eq!(ranges(1), [(0, 0)]);
        assert_eq!(ranges(PART), [(0, PART - 1)]);
        assert_eq!(ranges(PART + 1), [(0, PART - 1), (PART, PART)]);
    }
}
