//! ListObjectVersions, paged as S3 pages it: the versions and delete markers in key order (each
//! key's newest first), resumed after `KeyMarker` (and `VersionIdMarker`), at most `MaxKeys` a
//! page; with a delimiter, the keys that hold it past the prefix rolled up into common prefixes.
//! ListObjectsV2 pages the same way, each key with its one current object.

use std::collections::BTreeMap;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use s3s::dto::EncodingType;

use crate::s3::versions::Version;

/// What `EncodingType=url` leaves as it is in a listed key (the AWS CLI asks for it and decodes).
const URL_SAFE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'/')
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// How a listing writes keys and prefixes under the request's `EncodingType`.
pub fn encoder(encoding_type: Option<&EncodingType>) -> impl Fn(&str) -> String + Copy + use<> {
    let url = encoding_type.is_some_and(|e| e.as_str() == EncodingType::URL);
    move |s: &str| {
        if url {
            utf8_percent_encode(s, URL_SAFE).to_string()
        } else {
            s.to_owned()
        }
    }
}

/// One version of a key, as listed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub key: String,
    pub version: Version,
    /// Whether it is the key's latest version (object or delete marker).
    pub latest: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    Version(Entry),
    /// A common prefix: every key under it, counted once.
    Prefix(String),
}

/// What a ListObjectVersions request asks for.
#[derive(Clone, Copy, Debug, Default)]
pub struct Ask<'a> {
    pub prefix: &'a str,
    pub delimiter: Option<&'a str>,
    pub key_marker: Option<&'a str>,
    pub version_id_marker: Option<&'a str>,
    pub max_keys: usize,
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Page {
    pub items: Vec<Item>,
    pub truncated: bool,
    pub next_key_marker: Option<String>,
    pub next_version_id_marker: Option<String>,
}

/// A `VersionIdMarker` without a key marker, or one that names no version of the marker key:
/// S3 answers 400 InvalidArgument.
#[derive(Debug, PartialEq, Eq)]
pub struct BadMarker;

fn items(keys: &BTreeMap<String, Vec<Version>>, ask: &Ask<'_>) -> Vec<Item> {
    let mut out: Vec<Item> = Vec::new();
    for (key, versions) in keys.range(ask.prefix.to_owned()..) {
        let Some(rest) = key.strip_prefix(ask.prefix) else {
            break;
        };
        let rolled_up = ask.delimiter.filter(|d| !d.is_empty()).and_then(|d| {
            rest.find(d)
                .map(|at| format!("{}{}", ask.prefix, &rest[..at + d.len()]))
        });
        match rolled_up {
            Some(prefix) => {
                if out.last() != Some(&Item::Prefix(prefix.clone())) {
                    out.push(Item::Prefix(prefix));
                }
            }
            None => out.extend(versions.iter().enumerate().map(|(i, version)| {
                Item::Version(Entry {
                    key: key.clone(),
                    version: version.clone(),
                    latest: i == 0,
                })
            })),
        }
    }
    out
}

/// The page `ask` asks for of `keys` (every key of the bucket, each with its versions).
pub fn page(keys: &BTreeMap<String, Vec<Version>>, ask: &Ask<'_>) -> Result<Page, BadMarker> {
    let all = items(keys, ask);
    let start = match (
        ask.key_marker.filter(|m| !m.is_empty()),
        ask.version_id_marker.filter(|m| !m.is_empty()),
    ) {
        (None, None) => 0,
        (None, Some(_)) => return Err(BadMarker),
        (Some(marker), None) => all
            .iter()
            .position(|item| match item {
                Item::Version(e) => e.key.as_str() > marker,
                Item::Prefix(p) => p.as_str() > marker,
            })
            .unwrap_or(all.len()),
        (Some(marker), Some(id)) => {
            all.iter()
                .position(|item| matches!(item, Item::Version(e) if e.key == marker && e.version.id == id))
                .ok_or(BadMarker)?
                + 1
        }
    };
    let rest = &all[start..];
    let items: Vec<Item> = rest.iter().take(ask.max_keys).cloned().collect();
    let truncated = rest.len() > items.len();
    let (next_key_marker, next_version_id_marker) = match (truncated, items.last()) {
        (true, Some(Item::Version(e))) => (Some(e.key.clone()), Some(e.version.id.clone())),
        (true, Some(Item::Prefix(p))) => (Some(p.clone()), None),
        _ => (None, None),
    };
    Ok(Page {
        items,
        truncated,
        next_key_marker,
        next_version_id_marker,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> BTreeMap<String, Vec<Version>> {
        let mut keys = BTreeMap::new();
        keys.insert("a.csv".into(), vec![Version::marker("m1"), Version::current("v2")]);
        keys.insert("dir/x".into(), vec![Version::current("v3")]);
        keys.insert("dir/y".into(), vec![Version::current("v4")]);
        keys.insert("z".into(), vec![Version::current("null")]);
        keys
    }

    fn listed(page: &Page) -> Vec<String> {
        page.items
            .iter()
            .map(|item| match item {
                Item::Version(e) => format!("{}@{}{}", e.key, e.version.id, if e.latest { "*" } else { "" }),
                Item::Prefix(p) => format!("{p}…"),
            })
            .collect()
    }

    fn ask(max_keys: usize) -> Ask<'static> {
        Ask {
            max_keys,
            ..Ask::default()
        }
    }

    #[test]
    fn versions_come_in_key_order_newest_first_filtered_by_prefix() {
        let page = page(&keys(), &ask(1000)).unwrap();
        assert_eq!(
            listed(&page),
            ["a.csv@m1*", "a.csv@v2", "dir/x@v3*", "dir/y@v4*", "z@null*"]
        );
        assert!(!page.truncated);
        let only = super::page(
            &keys(),
            &Ask {
                prefix: "dir/",
                ..ask(1000)
            },
        )
        .unwrap();
        assert_eq!(listed(&only), ["dir/x@v3*", "dir/y@v4*"]);
    }

    #[test]
    fn pages_resume_after_their_markers() {
        let first = page(&keys(), &ask(2)).unwrap();
        assert_eq!(listed(&first), ["a.csv@m1*", "a.csv@v2"]);
        assert!(first.truncated);
        assert_eq!(first.next_key_marker.as_deref(), Some("a.csv"));
        assert_eq!(first.next_version_id_marker.as_deref(), Some("v2"));
        let second = page(
            &keys(),
            &Ask {
                key_marker: Some("a.csv"),
                version_id_marker: Some("m1"),
                ..ask(2)
            },
        )
        .unwrap();
        assert_eq!(listed(&second), ["a.csv@v2", "dir/x@v3*"]);
        let after_key = page(
            &keys(),
            &Ask {
                key_marker: Some("dir/x"),
                ..ask(10)
            },
        )
        .unwrap();
        assert_eq!(listed(&after_key), ["dir/y@v4*", "z@null*"]);
        let bad = Ask {
            key_marker: Some("a.csv"),
            version_id_marker: Some("v9"),
            ..ask(2)
        };
        assert_eq!(page(&keys(), &bad), Err(BadMarker));
    }

    #[test]
    fn a_delimiter_rolls_keys_up_into_common_prefixes() {
        let with = |key_marker| Ask {
            delimiter: Some("/"),
            key_marker,
            ..ask(2)
        };
        let first = page(&keys(), &with(None)).unwrap();
        assert_eq!(listed(&first), ["a.csv@m1*", "a.csv@v2"]);
        let second = page(&keys(), &with(Some("a.csv"))).unwrap();
        assert_eq!(listed(&second), ["dir/…", "z@null*"]);
        assert!(!second.truncated);
    }
}
