//! A bucket's current objects under a prefix, read straight from s3s-fs's directory tree, so that a
//! listing costs what is under its prefix, as S3's index does, and not the whole bucket (s3s-fs's
//! own listing walks every file of the bucket, then filters by prefix).
//!
//! s3s-fs keeps object `k` of bucket `b` as the file `<root>/b/k`; its side files, temporary files
//! and upload parts, and the history store, are dot-entries at `<root>`'s top level, never inside a
//! bucket. So the part of a prefix up to its last `/` names one directory, and only that subtree
//! can hold keys that start with the prefix. Like the history store, this knows s3s-fs's layout.
//!
//! Objects with keys too long for s3s-fs's file names are kept under surrogates in the bucket's
//! reserved directory (see `long_keys`): the walk never enters it, and takes their real keys from
//! there instead, whatever the prefix.

use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::s3::{history, long_keys};

/// The current objects' tree: `<root>/<bucket>/<key>`.
#[derive(Clone, Debug)]
pub struct Tree {
    root: PathBuf,
}

/// What a listing says of an object.
#[derive(Clone, Debug)]
pub struct Described {
    pub size: u64,
    pub modified: SystemTime,
    /// As s3s-fs stored it (no quotes); absent for a file s3s-fs did not write.
    pub e_tag: Option<String>,
}

/// s3s-fs's internal info of an object; only the ETag is read here.
#[derive(serde::Deserialize)]
struct Internal {
    e_tag: Option<String>,
}

/// A path segment that names an entry of its directory as written (not `.`, `..` or empty).
fn is_name(segment: &str) -> bool {
    !matches!(segment, "" | "." | "..") && !segment.contains('/')
}

fn absent_is_none<T>(result: io::Result<T>) -> io::Result<Option<T>> {
    match result {
        Ok(found) => Ok(Some(found)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

async fn blocking<T: Send + 'static>(work: impl FnOnce() -> io::Result<T> + Send + 'static) -> io::Result<T> {
    tokio::task::spawn_blocking(work).await.map_err(io::Error::other)?
}

impl Tree {
    pub fn new(root: &Path) -> Tree {
        Tree { root: root.to_owned() }
    }

    /// `bucket`'s directory, if the bucket exists. Bucket names start with a letter or a digit:
    /// the dot-entries at the root are not buckets.
    fn bucket_dir(&self, bucket: &str) -> Option<PathBuf> {
        let dir = self.root.join(bucket);
        (is_name(bucket) && !bucket.starts_with('.') && dir.is_dir()).then_some(dir)
    }

    /// The keys of `bucket`'s current objects that start with `prefix`, in no order; `None` when
    /// there is no such bucket.
    pub async fn keys(&self, bucket: &str, prefix: &str) -> io::Result<Option<Vec<String>>> {
        let (tree, bucket, prefix) = (self.clone(), bucket.to_owned(), prefix.to_owned());
        blocking(move || tree.keys_now(&bucket, &prefix)).await
    }

    fn keys_now(&self, bucket: &str, prefix: &str) -> io::Result<Option<Vec<String>>> {
        let Some(bucket_dir) = self.bucket_dir(bucket) else {
            return Ok(None);
        };
        let mut keys = long_keys::under(&self.root, bucket, prefix)?;
        let (dir, last) = prefix.split_at(prefix.rfind('/').map_or(0, |at| at + 1));
        if long_keys::only_long_under(dir) {
            return Ok(Some(keys));
        }
        // A directory part that is not plain names ("a//", "./") names no directory s3s-fs
        // writes: the whole bucket is read, and the prefix filters, as in s3s-fs.
        let (start, dir, last) = if dir.split_terminator('/').all(is_name) {
            (bucket_dir.join(dir), dir, last)
        } else {
            (bucket_dir, "", "")
        };
        let mut pending = vec![(start, dir.to_owned())];
        let mut top = true;
        while let Some((path, under)) = pending.pop() {
            // Gone (a concurrent delete) or never there: nothing under it.
            let entries = match std::fs::read_dir(&path) {
                Err(e) if top && e.kind() == io::ErrorKind::NotADirectory => None,
                read => absent_is_none(read)?,
            };
            for entry in entries.into_iter().flatten() {
                let entry = entry?;
                // s3s-fs lists no path that is not UTF-8.
                let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                    continue;
                };
                // In the prefix's directory, only names that begin with its last segment hold its keys.
                if top && !name.starts_with(last) {
                    continue;
                }
                if under.is_empty() && long_keys::is_reserved_entry(&name) {
                    continue;
                }
                let key = format!("{under}{name}");
                if entry.file_type()?.is_dir() {
                    pending.push((entry.path(), key + "/"));
                } else if key.starts_with(prefix) {
                    keys.push(key);
                }
            }
            top = false;
        }
        Ok(Some(keys))
    }

    /// Size, time and ETag of each of `bucket`'s current objects `keys`, in their order; `None`
    /// for one that is gone since it was listed (a concurrent delete).
    pub async fn describe(&self, bucket: &str, keys: Vec<String>) -> io::Result<Vec<Option<Described>>> {
        let (tree, bucket) = (self.clone(), bucket.to_owned());
        blocking(move || keys.iter().map(|key| tree.describe_now(&bucket, key)).collect()).await
    }

    fn describe_now(&self, bucket: &str, key: &str) -> io::Result<Option<Described>> {
        let [data, _, internal] = history::files(&self.root, bucket, key);
        let Some(meta) = absent_is_none(std::fs::metadata(&data))?.filter(|m| m.is_file()) else {
            return Ok(None);
        };
        let e_tag = absent_is_none(std::fs::read(&internal))?
            .and_then(|json| serde_json::from_slice::<Internal>(&json).ok())
            .and_then(|info| info.e_tag);
        Ok(Some(Described {
            size: meta.len(),
            modified: meta.modified()?,
            e_tag,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree_with(files: &[&str]) -> (tempfile::TempDir, Tree) {
        let root = tempfile::tempdir().unwrap();
        // What s3s-fs keeps beside the buckets, which no listing may show.
        std::fs::write(root.path().join(".bucket-YQ.object-YQ.internal.json"), "{}").unwrap();
        std::fs::create_dir_all(root.path().join(".versions/b")).unwrap();
        std::fs::write(root.path().join(".versions/b/slot"), "").unwrap();
        std::fs::create_dir_all(root.path().join("b")).unwrap();
        std::fs::create_dir_all(root.path().join("other/a")).unwrap();
        std::fs::write(root.path().join("other/a/x"), "").unwrap();
        for file in files {
            let path = root.path().join("b").join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "x").unwrap();
        }
        let tree = Tree::new(root.path());
        (root, tree)
    }

    fn keys(tree: &Tree, prefix: &str) -> Vec<String> {
        let mut keys = tree.keys_now("b", prefix).unwrap().expect("the bucket exists");
        keys.sort();
        keys
    }

    const FILES: &[&str] = &["a/b.json", "a/b/e", "a/bc/d", "a/c", "ab", "b", "z/y/x/w"];

    #[test]
    fn keys_are_those_that_start_with_the_prefix() {
        let (_root, tree) = tree_with(FILES);
        assert_eq!(keys(&tree, ""), FILES);
        assert_eq!(keys(&tree, "a/"), ["a/b.json", "a/b/e", "a/bc/d", "a/c"]);
        assert_eq!(keys(&tree, "a/b"), ["a/b.json", "a/b/e", "a/bc/d"]);
        assert_eq!(keys(&tree, "a/b/"), ["a/b/e"]);
        assert_eq!(keys(&tree, "a"), ["a/b.json", "a/b/e", "a/bc/d", "a/c", "ab"]);
        assert_eq!(keys(&tree, "z/y/x/w"), ["z/y/x/w"]);
        assert_eq!(keys(&tree, "a/c/"), Vec::<String>::new(), "a file is no directory");
        assert_eq!(keys(&tree, "q/r/"), Vec::<String>::new());
        assert_eq!(keys(&tree, "/a"), Vec::<String>::new());
        assert_eq!(keys(&tree, "a//"), Vec::<String>::new());
        assert_eq!(keys(&tree, "./a"), Vec::<String>::new());
        assert_eq!(keys(&tree, "../other/"), Vec::<String>::new());
    }

    /// Long keys are listed by their real names under their real prefixes, and the surrogates
    /// never: the reserved directory is not walked.
    #[tokio::test]
    async fn long_keys_are_listed_by_their_real_names() {
        let (root, tree) = tree_with(FILES);
        let segments = format!("a/{}", "s/".repeat(600));
        let (one_segment, reserved) = ("a".repeat(1024), ".long/x".to_owned());
        for key in [&segments, &one_segment, &reserved] {
            let [data, _, _] = history::files(root.path(), "b", key);
            std::fs::create_dir_all(data.parent().unwrap()).unwrap();
            std::fs::write(data, "x").unwrap();
            long_keys::settle(root.path(), "b", key).await.unwrap();
        }
        let mut everything: Vec<String> = FILES.iter().map(|k| k.to_string()).collect();
        everything.extend([segments.clone(), one_segment.clone(), reserved.clone()]);
        everything.sort();
        assert_eq!(keys(&tree, ""), everything);
        assert_eq!(keys(&tree, "."), [reserved.as_str()]);
        assert_eq!(keys(&tree, ".long/"), [reserved.as_str()]);
        assert_eq!(keys(&tree, "a/s/s/"), [segments.as_str()]);
        assert_eq!(
            keys(&tree, "a/"),
            ["a/b.json", "a/b/e", "a/bc/d", "a/c", segments.as_str()]
        );
        assert_eq!(keys(&tree, &format!("{}/", "a".repeat(300))), Vec::<String>::new());
        assert_eq!(keys(&tree, &"a".repeat(300)), [one_segment.as_str()]);
        let described = tree.describe_now("b", &one_segment).unwrap().unwrap();
        assert_eq!(described.size, 1);
    }

    #[test]
    fn only_existing_buckets_are_read() {
        let (_root, tree) = tree_with(FILES);
        assert!(tree.keys_now("missing", "").unwrap().is_none());
        assert!(tree.keys_now(".versions", "").unwrap().is_none());
        assert!(tree.keys_now("..", "").unwrap().is_none());
        assert!(tree.keys_now("b/../other", "").unwrap().is_none());
        assert_eq!(tree.keys_now("other", "").unwrap(), Some(vec!["a/x".to_owned()]));
    }

    #[test]
    fn objects_are_described_from_their_files() {
        let (root, tree) = tree_with(&["a/b.json"]);
        std::fs::write(
            history::files(root.path(), "b", "a/b.json")[2].clone(),
            r#"{"e_tag":"abc"}"#,
        )
        .unwrap();
        let described = tree.describe_now("b", "a/b.json").unwrap().unwrap();
        assert_eq!((described.size, described.e_tag.as_deref()), (1, Some("abc")));
        assert!(tree.describe_now("b", "a/gone").unwrap().is_none());
        assert!(
            tree.describe_now("b", "a").unwrap().is_none(),
            "a directory is no object"
        );
    }

    #[cfg(unix)]
    #[test]
    fn paths_that_are_not_utf8_are_skipped() {
        use std::os::unix::ffi::OsStrExt;
        let (root, tree) = tree_with(&["a/ok"]);
        let bad = std::ffi::OsStr::from_bytes(b"a\xff");
        std::fs::write(root.path().join("b/a").join(bad), "").unwrap();
        std::fs::create_dir_all(root.path().join("b").join(bad)).unwrap();
        std::fs::write(root.path().join("b").join(bad).join("x"), "").unwrap();
        assert_eq!(keys(&tree, ""), ["a/ok"]);
        assert_eq!(keys(&tree, "a"), ["a/ok"]);
    }
}
