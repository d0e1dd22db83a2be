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
use aws_sdk_s3::primitives::ByteStream;
use bytes::Bytes;
use futures::stream::{self, BoxStream, StreamExt};

use crate::adapters::s3cas::is_gone;
use crate::check::{GroupPart, Options, Piece, PoolRules, Preparer, Splitter};
use crate::domain::record::Record;

/// A file's bytes in order, or the error that broke the stream: what an upload sends and what the
/// per-line report reads.
pub type Chunks = BoxStream<'static, Result<Bytes, Box<dyn std::error::Error + Send + Sync>>>;

/// An S3 body (a GetObject answer, a file) as [`Chunks`].
pub fn chunks(body: ByteStream) -> Chunks {
    stream::unfold(body, |mut body| async move {
        match body.next().await {
            Some(Ok(bytes)) => Some((Ok(bytes), body)),
            Some(Err(e)) => Some((Err(e.into()), body)),
            None => None,
        }
    })
    .boxed()
}

/// The version prepared again as it is read (decoded, its header completed, exactly as the check
/// prepared it, given the same pool rules): the whole prepared file, or only part `part` of it
/// (cut as the check cut it). It must come to `expected` bytes, else the stream ends in an error
/// (the pool's header changed since the check).
pub fn prepared(
    s3: &Client,
    record: &Record,
    rules: &PoolRules,
    options: Options,
    part: Option<u32>,
    expected: u64,
) -> Chunks {
    // A part of one hash algorithm's file: that file, cut as the check cut it.
    let group = part
        .and_then(|n| record.parts.get((n as usize).checked_sub(1)?))
        .and_then(|p| p.info.group);
    let state = Prepare {
        source: read(s3, record),
        preparer: Some(Preparer::new(rules, options)),
        group: group.map(|g| GroupPart::new(g, Splitter::cognito())),
        splitter: part.filter(|_| group.is_none()).map(|_| Splitter::cognito()),
        want: part.unwrap_or(1),
        current: 0,
        sent: 0,
        expected,
    };
    stream::unfold(state, |mut state| async move {
        let mut preparer = state.preparer.take()?;
        let out = match state.source.next().await {
            Some(Ok(chunk)) => {
                let out = state.keep(preparer.feed(&chunk));
                state.preparer = Some(preparer);
                Ok(out)
            }
            Some(Err(e)) => Err(e.into()),
            None => {
                let (tail, _) = preparer.finish();
                // (`keep` counts what it hands on; the splitter's last pieces are counted here.)
                let mut out = state.keep(&tail).to_vec();
                let kept = out.len();
                if let Some(group) = state.group.take() {
                    group.finish(&mut out);
                }
                if let Some(splitter) = state.splitter.take() {
                    let (last, _) = splitter.finish();
                    for piece in last.pieces() {
                        state.take(piece, &mut out);
                    }
                }
                state.sent += (out.len() - kept) as u64;
                if state.sent == state.expected {
                    Ok(Bytes::from(out))
                } else {
                    Err(format!(
                        "the file prepared again comes to {} bytes, not the {} checked (has the pool's header changed?)",
                        state.sent, state.expected
                    )
                    .into())
                }
            }
        };
        Some((out, state))
    })
    .boxed()
}

/// The state of [`prepared`]'s stream.
struct Prepare {
    source: BoxStream<'static, Result<Bytes, FetchError>>,
    /// Until the end of the source.
    preparer: Option<Preparer>,
    /// When only one part is wanted.
    splitter: Option<Splitter>,
    /// When the part wanted is of one hash algorithm's file (then no `splitter`: it has its own).
    group: Option<GroupPart>,
    /// The part wanted, and the part the pieces are in.
    want: u32,
    current: u32,
    sent: u64,
    expected: u64,
}

impl Prepare {
    /// The bytes of the wanted part among `prepared` (all of them when the file is not cut).
    fn keep(&mut self, prepared: &[u8]) -> Bytes {
        if let Some(group) = self.group.as_mut() {
            let mut out = Vec::new();
            group.feed(prepared, &mut out);
            self.sent += out.len() as u64;
            return Bytes::from(out);
        }
        let Some(mut splitter) = self.splitter.take() else {
            self.sent += prepared.len() as u64;
            return Bytes::copy_from_slice(prepared);
        };
        let mut out = Vec::new();
        for piece in splitter.feed(prepared) {
            self.take(piece, &mut out);
        }
        self.splitter = Some(splitter);
        self.sent += out.len() as u64;
        Bytes::from(out)
    }

    fn take(&mut self, piece: Piece<'_>, out: &mut Vec<u8>) {
        match piece {
            Piece::Part(number) => self.current = number,
            Piece::Bytes(bytes) if self.current == self.want => out.extend_from_slice(bytes),
            Piece::Bytes(_) => {}
        }
    }
}

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
