//! Keys that s3s-fs cannot store under their own name. S3 takes keys of up to 1,024 bytes, but
//! s3s-fs names an object's side files after the key's base64
//! (`.bucket-<bucket>.object-<key>[.upload-<id>].{metadata,internal}.json`) and keeps its data as
//! `<bucket>/<key>`, and no file name may pass 255 bytes. So a key whose side files would have
//! longer names is stored in s3s-fs under a surrogate, `.long/<sha256 hex of the key>`, and its
//! real key is written beside it (`.long/<hex>.key`) for listings.
//!
//! `.long` at the top of a bucket is reserved: every key in it is stored under a surrogate too, so
//! no real key can pass for one. Only s3s-fs's files are named by surrogates (`disk`,
//! `history::files`); versions, tags, locks and faults keep to the real key.

use std::borrow::Cow;
use std::io;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// The reserved directory at the top of each bucket.
const DIR: &str = ".long";

/// The longest file name Linux file systems take.
const NAME_MAX: usize = 255;

/// The longest side file name s3s-fs makes without the base64 of the bucket and of the key: that
/// of a multipart upload's attributes. A key whose side files fit has no segment over 255 bytes
/// either (base64 is longer than what it encodes), so its data file fits too.
const SIDE_FILE_FIXED: usize = ".bucket-.object-.upload-00000000-0000-0000-0000-000000000000.metadata.json".len();

/// Whether `key` is in the reserved directory.
fn is_reserved(key: &str) -> bool {
    key.split('/').next() == Some(DIR)
}

/// Whether s3s-fs can keep `key` of `bucket` under its own name.
fn fits(bucket: &str, key: &str) -> bool {
    let encoded = |s: &str| base64_simd::URL_SAFE_NO_PAD.encoded_length(s.len());
    !is_reserved(key) && SIDE_FILE_FIXED + encoded(bucket) + encoded(key) <= NAME_MAX
}

/// The hex of a key's surrogate (64 characters).
fn digest(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// The key s3s-fs keeps `key` of `bucket` under: itself, or its surrogate.
pub fn stored<'k>(bucket: &str, key: &'k str) -> Cow<'k, str> {
    if fits(bucket, key) {
        Cow::Borrowed(key)
    } else {
        Cow::Owned(format!("{DIR}/{}", digest(key)))
    }
}

/// The surrogate of `key` of `bucket`, if it has one.
pub fn surrogate(bucket: &str, key: &str) -> Option<String> {
    match stored(bucket, key) {
        Cow::Borrowed(_) => None,
        Cow::Owned(surrogate) => Some(surrogate),
    }
}

/// Where the real key of the surrogate `.long/<hex>` of `bucket` is written, in the store at `root`.
fn key_file(root: &Path, bucket: &str, surrogate: &str) -> PathBuf {
    root.join(bucket).join(format!("{surrogate}.key"))
}

/// Makes the real key beside the surrogate of `key` (if it has one) agree with the object: written
/// while an object is under the surrogate, gone once none is. Called after each write or delete of
/// the key, whether it went through or not (s3s-fs may have written before it failed), under the
/// key's lock, so that no other call moves the object meanwhile.
pub async fn settle(root: &Path, bucket: &str, key: &str) -> io::Result<()> {
    let Some(surrogate) = surrogate(bucket, key) else {
        return Ok(());
    };
    let file = key_file(root, bucket, &surrogate);
    if tokio::fs::try_exists(root.join(bucket).join(&surrogate)).await? {
        // Its content follows from its name: one written before is right.
        if !tokio::fs::try_exists(&file).await? {
            tokio::fs::write(file, key).await?;
        }
        return Ok(());
    }
    match tokio::fs::remove_file(file).await {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

/// Whether `name` is an entry at the top of a bucket that no listing reads as keys.
pub fn is_reserved_entry(name: &str) -> bool {
    name == DIR
}

/// Whether every key under the directory part of a prefix (`a/b/`) has a surrogate: in the
/// reserved directory, or below a segment too long for a file name.
pub fn only_long_under(dir: &str) -> bool {
    (!dir.is_empty() && is_reserved(dir)) || dir.split('/').any(|segment| segment.len() > NAME_MAX)
}

/// The real keys of `bucket`'s objects stored under surrogates that start with `prefix`, in no
/// order. Blocking. The whole reserved directory is read: long keys are rare.
pub fn under(root: &Path, bucket: &str, prefix: &str) -> io::Result<Vec<String>> {
    let dir = root.join(bucket).join(DIR);
    let entries = match std::fs::read_dir(&dir) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        read => read?,
    };
    let mut keys = Vec::new();
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        let Some(hex) = name.to_str().and_then(|n| n.strip_suffix(".key")) else {
            continue;
        };
        let key = match std::fs::read(entry.path()) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            read => read?,
        };
        // A key file being written, or one of no key at all, names nothing.
        let Ok(key) = String::from_utf8(key) else {
            continue;
        };
        if !key.starts_with(prefix) || digest(&key) != hex {
            continue;
        }
        // The object may be gone (a batch delete leaves its key file).
        if dir.join(hex).is_file() {
            keys.push(key);
        }
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;
    use s3s::S3;
    use s3s::dto::{CreateMultipartUploadInput, PutObjectInput, StreamingBlob};

    const BUCKET: &str = "cognito-import-local";

    use crate::s3::tests::request;

    /// The longest key of `bucket` stored under its own name, of `unit` repeated.
    fn longest_own(bucket: &str, unit: &str) -> String {
        let mut key = String::new();
        while fits(bucket, &format!("{key}{unit}")) {
            key.push_str(unit);
        }
        key
    }

    /// The bound is s3s-fs's: it can put, and start a multipart upload of, the longest key that
    /// keeps its own name (and not one byte more) and any surrogate.
    #[tokio::test]
    async fn s3s_fs_stores_every_key_that_keeps_its_name() {
        let root = tempfile::tempdir().unwrap();
        for bucket in [BUCKET, &"b".repeat(63)] {
            std::fs::create_dir(root.path().join(bucket)).unwrap();
            let fs = s3s_fs::FileSystem::new(root.path()).unwrap();
            let longest = ["k", "é", "a/"].map(|unit| {
                let key = longest_own(bucket, unit);
                assert!(surrogate(bucket, &key).is_none());
                assert!(surrogate(bucket, &format!("{key}{unit}")).is_some());
                key
            });
            // And the bound is tight: one byte more, and s3s-fs fails.
            let over = format!("{}k", longest[0]);
            let upload = CreateMultipartUploadInput {
                bucket: bucket.into(),
                key: over,
                ..Default::default()
            };
            assert!(fs.create_multipart_upload(request(upload)).await.is_err());
            // A surrogate fits as well.
            let surrogate = surrogate(bucket, &"k".repeat(1024)).unwrap();
            for key in longest.into_iter().chain([surrogate]) {
                // The upload's attributes have the longest name.
                fs.create_multipart_upload(request(CreateMultipartUploadInput {
                    bucket: bucket.into(),
                    key: key.clone(),
                    ..Default::default()
                }))
                .await
                .unwrap_or_else(|e| panic!("{bucket} {key}: {e:?}"));
                // s3s-fs makes a key that ends with '/' a directory, with no side files.
                if !key.ends_with('/') {
                    fs.put_object(request(PutObjectInput {
                        bucket: bucket.into(),
                        key: key.clone(),
                        body: Some(StreamingBlob::from(s3s::Body::from("data".to_owned()))),
                        ..Default::default()
                    }))
                    .await
                    .unwrap_or_else(|e| panic!("{bucket} {key}: {e:?}"));
                }
            }
        }
    }

    #[test]
    fn keys_in_the_reserved_directory_and_long_ones_get_surrogates() {
        assert_eq!(stored(BUCKET, "incoming/a.csv"), "incoming/a.csv");
        assert_eq!(stored(BUCKET, ".longer"), ".longer");
        assert_eq!(stored(BUCKET, "a/.long/x"), "a/.long/x");
        for key in [".long", ".long/x", &format!(".long/{}", digest("k")), &"k".repeat(1024)] {
            let stored = stored(BUCKET, key);
            assert_eq!(stored, format!(".long/{}", digest(key)), "{key}");
            assert!(surrogate(BUCKET, &stored).is_some(), "a surrogate is itself reserved");
        }
    }

    #[tokio::test]
    async fn real_keys_are_listed_while_their_object_is_there() {
        let root = tempfile::tempdir().unwrap();
        let (long, other) = ("p/".repeat(200), "q".repeat(300));
        std::fs::create_dir_all(root.path().join("b/.long")).unwrap();
        for key in [&long, &other] {
            std::fs::write(root.path().join("b").join(stored("b", key).as_ref()), "x").unwrap();
            settle(root.path(), "b", key).await.unwrap();
        }
        // A short key has no surrogate, and one with no object no real key beside it.
        settle(root.path(), "b", "short").await.unwrap();
        settle(root.path(), "b", &"r".repeat(300)).await.unwrap();
        // A key file cut short names nothing.
        std::fs::write(root.path().join(format!("b/.long/{}", digest("p/p"))), "x").unwrap();
        std::fs::write(root.path().join(format!("b/.long/{}.key", digest("p/p"))), "p/").unwrap();
        let mut all = under(root.path(), "b", "").unwrap();
        all.sort();
        assert_eq!(all, [long.as_str(), other.as_str()]);
        assert_eq!(under(root.path(), "b", "p/p/").unwrap(), [long.as_str()]);
        assert_eq!(under(root.path(), "b", "x").unwrap(), Vec::<String>::new());
        assert_eq!(under(root.path(), "missing", "").unwrap(), Vec::<String>::new());

        // Forgotten once the object is gone.
        std::fs::remove_file(root.path().join("b").join(stored("b", &other).as_ref())).unwrap();
        assert_eq!(under(root.path(), "b", "q").unwrap(), Vec::<String>::new());
        settle(root.path(), "b", &other).await.unwrap();
        assert!(!key_file(root.path(), "b", &stored("b", &other)).exists());
        assert!(key_file(root.path(), "b", &stored("b", &long)).exists());
    }
}
