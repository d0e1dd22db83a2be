//! The older versions of objects, where s3s-fs can still serve them: a second s3s-fs store in
//! `<root>/.versions` (a name no bucket can have), holding each kept version of bucket `b` as its
//! object `b/<slot>`. GetObject and HeadObject of an older version (ranges, ETag, checksums,
//! metadata) are then s3s-fs's own.
//!
//! Keeping a version moves or copies s3s-fs's three files of an object from one store to the other:
//! its data, its attributes (content type, user metadata) and its internal info (ETag, checksums).
//! So this module knows s3s-fs's file layout, which is why s3s-fs is pinned to one version; the
//! test below fails if that layout changes. Like the tags, versions last as long as the process:
//! the history store is emptied when the emulator starts.
//!
//! A long key's files are its surrogate's, and its real key stays beside the surrogate while an
//! object is there (see `long_keys`).

use std::io;
use std::path::{Path, PathBuf};

use crate::s3::long_keys;

/// The history store's directory under the S3 root.
const DIR: &str = ".versions";

/// How the current object is kept.
#[derive(Clone, Copy, Debug)]
pub enum Keep {
    /// Copied: it is about to be overwritten (s3s-fs may write into the very file, as CopyObject
    /// does, so the history must not share it).
    Copy,
    /// Moved: it is being deleted.
    Move,
}

/// Older versions of objects, in a second s3s-fs store.
pub struct History {
    /// The S3 root, where s3s-fs keeps the current objects.
    root: PathBuf,
    store: s3s_fs::FileSystem,
}

/// s3s-fs's files of object `key` in `bucket`, in the store at `root`: the data, the attributes,
/// the internal info. A long key's are its surrogate's (see `long_keys`).
pub(super) fn files(root: &Path, bucket: &str, key: &str) -> [PathBuf; 3] {
    let key = long_keys::stored(bucket, key);
    let key = key.as_ref();
    let encode = |s: &str| base64_simd::URL_SAFE_NO_PAD.encode_to_string(s);
    let sidecar = |kind: &str| root.join(format!(".bucket-{}.object-{}.{kind}.json", encode(bucket), encode(key)));
    [root.join(bucket).join(key), sidecar("metadata"), sidecar("internal")]
}

async fn remove_if_there(path: &Path) -> io::Result<()> {
    match tokio::fs::remove_file(path).await {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

async fn create_parent(path: &Path) -> io::Result<()> {
    match path.parent() {
        Some(parent) => tokio::fs::create_dir_all(parent).await,
        None => Ok(()),
    }
}

/// Copies a file with its modification time (S3's LastModified of the version).
async fn copy_with_mtime(from: &Path, to: &Path) -> io::Result<()> {
    let modified = tokio::fs::metadata(from).await?.modified()?;
    tokio::fs::copy(from, to).await?;
    let file = std::fs::OpenOptions::new().write(true).open(to)?;
    file.set_modified(modified)
}

impl History {
    /// The history store of the S3 store at `root`, empty.
    pub fn open(root: &Path) -> io::Result<History> {
        let dir = root.join(DIR);
        match std::fs::remove_dir_all(&dir) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        std::fs::create_dir_all(&dir)?;
        let store = s3s_fs::FileSystem::new(&dir).map_err(|e| io::Error::other(format!("{e:?}")))?;
        Ok(History {
            root: root.to_owned(),
            store,
        })
    }

    /// The store that serves the kept versions (bucket `b`, key: the slot).
    pub fn store(&self) -> &s3s_fs::FileSystem {
        &self.store
    }

    fn dir(&self) -> PathBuf {
        self.root.join(DIR)
    }

    /// Whether s3s-fs holds a current object under `key`.
    pub fn has_current(&self, bucket: &str, key: &str) -> bool {
        files(&self.root, bucket, key)[0].is_file()
    }

    /// Keeps the current object of `key`; returns its slot.
    pub async fn keep(&self, bucket: &str, key: &str, how: Keep) -> io::Result<String> {
        let slot = crate::json::random_id(32);
        let to = files(&self.dir(), bucket, &slot);
        for (i, from) in files(&self.root, bucket, key).iter().enumerate() {
            // The data must be there; an object may lack either side file.
            if i > 0 && !tokio::fs::try_exists(from).await? {
                continue;
            }
            create_parent(&to[i]).await?;
            match how {
                Keep::Copy => copy_with_mtime(from, &to[i]).await?,
                Keep::Move => tokio::fs::rename(from, &to[i]).await?,
            }
        }
        long_keys::settle(&self.root, bucket, key).await?;
        Ok(slot)
    }

    /// Makes the kept version `slot` the current object of `key` again.
    pub async fn restore(&self, bucket: &str, slot: &str, key: &str) -> io::Result<()> {
        let to = files(&self.root, bucket, key);
        for (i, from) in files(&self.dir(), bucket, slot).iter().enumerate() {
            if tokio::fs::try_exists(from).await? {
                create_parent(&to[i]).await?;
                tokio::fs::rename(from, &to[i]).await?;
            } else {
                // No side file kept: none may be left from another object either.
                remove_if_there(&to[i]).await?;
            }
        }
        long_keys::settle(&self.root, bucket, key).await
    }

    /// Deletes the kept version `slot`.
    pub async fn discard(&self, bucket: &str, slot: &str) -> io::Result<()> {
        for file in files(&self.dir(), bucket, slot) {
            remove_if_there(&file).await?;
        }
        Ok(())
    }

    /// Deletes the current object of `key`, side files included.
    pub async fn remove_current(&self, bucket: &str, key: &str) -> io::Result<()> {
        for file in files(&self.root, bucket, key) {
            remove_if_there(&file).await?;
        }
        long_keys::settle(&self.root, bucket, key).await
    }

    /// Deletes every kept version of `bucket`.
    pub async fn remove_bucket(&self, bucket: &str) -> io::Result<()> {
        match tokio::fs::remove_dir_all(self.dir().join(bucket)).await {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        let prefix = format!(".bucket-{}.", base64_simd::URL_SAFE_NO_PAD.encode_to_string(bucket));
        let mut entries = tokio::fs::read_dir(self.dir()).await?;
        while let Some(entry) = entries.next_entry().await? {
            if entry.file_name().to_string_lossy().starts_with(&prefix) {
                remove_if_there(&entry.path()).await?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use s3s::S3;
    use s3s::dto::{PutObjectInput, StreamingBlob};

    /// The layout this module relies on: a PutObject through s3s-fs leaves exactly these files.
    #[tokio::test]
    async fn s3s_fs_keeps_an_object_in_the_three_files_named_here() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join("b")).unwrap();
        let fs = s3s_fs::FileSystem::new(root.path()).unwrap();
        let input = PutObjectInput {
            bucket: "b".into(),
            key: "dir/k ü.csv".into(),
            body: Some(StreamingBlob::from(s3s::Body::from("data".to_owned()))),
            content_type: Some("text/csv".into()),
            ..Default::default()
        };
        fs.put_object(crate::s3::tests::request(input)).await.unwrap();
        let [data, attributes, internal] = files(&fs_root(root.path()), "b", "dir/k ü.csv");
        assert_eq!(std::fs::read(data).unwrap(), b"data");
        assert!(std::fs::read_to_string(attributes).unwrap().contains("text/csv"));
        assert!(std::fs::read_to_string(internal).unwrap().contains("e_tag"));
    }

    fn fs_root(path: &Path) -> PathBuf {
        path.canonicalize().unwrap()
    }
}
