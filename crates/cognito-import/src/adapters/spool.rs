//! The spool: a local copy of the object, written while the check reads it, so that the object is
//! read from S3 once and the upload sends exactly the bytes that were checked.
//!
//! It lives in the temporary directory (Lambda's `/tmp`: ephemeral storage, not memory) and is
//! removed when dropped. Writing it is best effort: if the disk refuses, the check goes on and
//! the upload reads the pinned version from S3 again.

use std::path::Path;

use tokio::io::AsyncWriteExt;
use tracing::warn;

/// The names of the temporary files this function makes (spools and per-line reports).
const PREFIX: &str = "cognito-import-";

/// A temporary file owned by the invocation that made it: it holds an exclusive advisory lock on
/// the file for as long as the file exists, and the lock goes when the process does. Several
/// invocations may share one environment (Lambda Managed Instances, `run_concurrent`, two `handle`
/// runs on one machine), so a file is stale only when nobody holds its lock — never because of its
/// age or because a new process started.
pub fn owned_temp_file(prefix: &str, suffix: &str) -> std::io::Result<tempfile::NamedTempFile> {
    owned_temp_file_in(&std::env::temp_dir(), prefix, suffix)
}

fn owned_temp_file_in(dir: &Path, prefix: &str, suffix: &str) -> std::io::Result<tempfile::NamedTempFile> {
    let file = tempfile::Builder::new()
        .prefix(&format!("{PREFIX}{prefix}"))
        .suffix(suffix)
        .tempfile_in(dir)?;
    file.as_file().try_lock().map_err(std::io::Error::other)?;
    Ok(file)
}

/// Removes this function's temporary files that no living invocation owns (their lock is free):
/// files left by a killed invocation. Returns how many. Safe to run at any time.
pub fn clean_stale() -> usize {
    clean_stale_in(&std::env::temp_dir())
}

fn clean_stale_in(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        if !entry.file_name().to_string_lossy().starts_with(PREFIX) {
            continue;
        }
        let Ok(file) = std::fs::File::open(entry.path()) else {
            continue;
        };
        // Free: its owner is gone. Held: an invocation is using it. (The lock is released when
        // `file` closes, after the removal.)
        if file.try_lock().is_ok() && std::fs::remove_file(entry.path()).is_ok() {
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
        Spool::create_in(&std::env::temp_dir())
    }

    fn create_in(dir: &Path) -> Option<Spool> {
        let made = owned_temp_file_in(dir, "spool-", ".csv").and_then(|file| Ok((file.reopen()?, file)));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn start_up_removes_only_the_files_no_invocation_owns() {
        let dir = tempfile::tempdir().unwrap();
        let mut live = Spool::create_in(dir.path()).unwrap();
        live.write(b"cognito:username\n").await;
        let live = live.finish(17).await.expect("a complete spool");
        // Left by a killed invocation: the same name, nobody holding it.
        let dead = dir.path().join(format!("{PREFIX}spool-dead.csv"));
        std::fs::write(&dead, b"rows").unwrap();
        let unrelated = dir.path().join("someone-else.csv");
        std::fs::write(&unrelated, b"x").unwrap();

        assert_eq!(clean_stale_in(dir.path()), 1);
        assert!(!dead.exists());
        assert!(live.path().exists(), "a spool in use was removed");
        assert!(unrelated.exists());
        let path = live.path().to_owned();
        drop(live);
        assert!(!path.exists(), "a spool is removed when dropped");
    }
}
