//! The spool: a local copy of the object, written while the check reads it, so that the object is
//! read from S3 once and the upload sends exactly the bytes that were checked.
//!
//! It lives in the temporary directory (Lambda's `/tmp`: ephemeral storage, not memory) and is
//! removed when dropped. Writing it is best effort: if the disk refuses, the check goes on and
//! the upload reads the pinned version from S3 again.

use std::path::Path;

use tokio::io::AsyncWriteExt;
use tracing::warn;

/// Temporary files this function leaves behind only when its invocation is killed (a timeout):
/// Lambda keeps `/tmp` across invocations, so they are removed at start-up.
const PREFIXES: [&str; 2] = ["cognito-import-", "cognito-import-lines-"];

/// Removes temporary files of earlier, killed invocations (older than `age`); returns how many.
pub fn clean_stale(age: std::time::Duration) -> usize {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|t| t.elapsed().is_ok_and(|e| e > age));
        if old
            && PREFIXES.iter().any(|p| name.to_string_lossy().starts_with(p))
            && std::fs::remove_file(entry.path()).is_ok()
        {
            removed += 1;
        }
    }
    removed
}

const WRITE_BUFFER: usize = 1024 * 1024;

/// A spool being written, then read by each upload attempt.
pub struct Spool {
    file: tempfile::NamedTempFile,
    writer: Option<tokio::io::BufWriter<tokio::fs::File>>,
    written: u64,
}

impl Spool {
    /// A new empty spool, or `None` (with a warning) if the temporary directory refuses one.
    pub fn create() -> Option<Spool> {
        let made = tempfile::Builder::new()
            .prefix("cognito-import-")
            .suffix(".csv")
            .tempfile()
            .and_then(|file| Ok((file.reopen()?, file)));
        match made {
            Ok((writer, file)) => Some(Spool {
                file,
                // Large writes: each one is a trip to Tokio's blocking pool.
                writer: Some(tokio::io::BufWriter::with_capacity(
                    WRITE_BUFFER,
                    tokio::fs::File::from_std(writer),
                )),
                written: 0,
            }),
            Err(e) => {
                warn!(error = %e, "cannot spool the object to local disk; the upload will read it from S3");
                None
            }
        }
    }

    /// Appends a chunk; after the first failure the spool is abandoned (see [`Spool::finish`]).
    pub async fn write(&mut self, chunk: &[u8]) {
        let Some(writer) = self.writer.as_mut() else { return };
        match writer.write_all(chunk).await {
            Ok(()) => self.written += chunk.len() as u64,
            Err(e) => {
                warn!(error = %e, "spooling to local disk failed; the upload will read the object from S3");
                self.writer = None;
            }
        }
    }

    /// The finished spool if it holds exactly `size` bytes, else `None`.
    pub async fn finish(mut self, size: u64) -> Option<Spool> {
        let mut writer = self.writer.take()?;
        if let Err(e) = writer.flush().await {
            warn!(error = %e, "spooling to local disk failed; the upload will read the object from S3");
            return None;
        }
        (self.written == size).then_some(self)
    }

    pub fn path(&self) -> &Path {
        self.file.path()
    }
}
