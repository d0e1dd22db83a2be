//! Bucket versioning, kept as S3 keeps it: each bucket's status and, for each key touched while
//! versioning was on, its versions newest first — the current object (which s3s-fs holds under the
//! key), older objects (held in the history store, see `history`) and delete markers.
//!
//! Pure bookkeeping: the store reads a key's list, does the I/O the list calls for and then stores
//! the new list back, all under the key's lock. A key that has no list in a versioned bucket holds
//! what s3s-fs holds under it: one object, the `null` version (put before versioning), or nothing.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::SystemTime;

use crate::assumptions::{VERSION_ID_ALPHABET, VERSION_ID_IN_UNVERSIONED_BUCKET_IS_INVALID, VERSION_ID_LEN};
use crate::s3::tags::Tags;

/// The version id of objects written while versioning was off (or suspended).
pub const NULL: &str = "null";

/// A bucket's versioning status. A bucket that had versioning once never goes back to
/// `Unversioned`: it can only be suspended.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Status {
    #[default]
    Unversioned,
    Enabled,
    Suspended,
}

/// One version of a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Version {
    pub id: String,
    pub state: State,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum State {
    /// The key's current object, which s3s-fs holds under the key (only ever first in a list).
    Current,
    /// An older object, held in the history store as `slot`, with the tags it had.
    Kept { slot: String, tags: Tags },
    /// A delete marker, made at `at`.
    Marker { at: SystemTime },
}

impl Version {
    pub fn current(id: impl Into<String>) -> Version {
        Version {
            id: id.into(),
            state: State::Current,
        }
    }

    pub fn marker(id: impl Into<String>) -> Version {
        Version {
            id: id.into(),
            state: State::Marker { at: SystemTime::now() },
        }
    }
}

/// A fresh version id (see `assumptions::VERSION_ID_LEN`).
pub fn fresh_id() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..VERSION_ID_LEN)
        .map(|_| VERSION_ID_ALPHABET[rng.random_range(0..VERSION_ID_ALPHABET.len())] as char)
        .collect()
}

/// Whether S3 could have made `id`: `null`, or an id of the emulator's format.
pub fn is_well_formed(id: &str) -> bool {
    id == NULL || (id.len() == VERSION_ID_LEN && id.bytes().all(|b| VERSION_ID_ALPHABET.contains(&b)))
}

/// The version a request names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Found {
    /// What s3s-fs holds under the key (which may be nothing in an unversioned bucket); its
    /// version id, `None` in an unversioned bucket.
    Current(Option<String>),
    /// An older object of the history store.
    Kept { id: String, slot: String, tags: Tags },
}

impl Found {
    /// The version id to answer with (none in an unversioned bucket).
    pub fn id(&self) -> Option<String> {
        match self {
            Found::Current(id) => id.clone(),
            Found::Kept { id, .. } => Some(id.clone()),
        }
    }
}

/// Why a request names no object.
#[derive(Debug, PartialEq, Eq)]
pub enum Miss {
    /// 400 InvalidArgument: not an id S3 could have made (or, unversioned, not `null`).
    Malformed,
    /// 404 NoSuchKey: no version id named, and the key holds nothing or a delete marker (its id).
    NoSuchKey { marker: Option<String> },
    /// 404 NoSuchVersion: a well-formed id the key does not hold.
    NoSuchVersion,
    /// 405 MethodNotAllowed: the id of a delete marker (given), which has no data.
    Marker(String),
}

/// The version that `requested` (or, without an id, the current one) names in `versions`.
pub fn find(status: Status, versions: &[Version], requested: Option<&str>) -> Result<Found, Miss> {
    if status == Status::Unversioned {
        return match requested {
            None | Some(NULL) => Ok(Found::Current(None)),
            Some(_) if VERSION_ID_IN_UNVERSIONED_BUCKET_IS_INVALID => Err(Miss::Malformed),
            Some(_) => Err(Miss::NoSuchVersion),
        };
    }
    let version = match requested {
        None => match versions.first() {
            None => return Err(Miss::NoSuchKey { marker: None }),
            Some(v) => v,
        },
        Some(id) if !is_well_formed(id) => return Err(Miss::Malformed),
        Some(id) => versions.iter().find(|v| v.id == id).ok_or(Miss::NoSuchVersion)?,
    };
    match &version.state {
        State::Current => Ok(Found::Current(Some(version.id.clone()))),
        State::Kept { slot, tags } => Ok(Found::Kept {
            id: version.id.clone(),
            slot: slot.clone(),
            tags: tags.clone(),
        }),
        State::Marker { .. } if requested.is_none() => Err(Miss::NoSuchKey {
            marker: Some(version.id.clone()),
        }),
        State::Marker { .. } => Err(Miss::Marker(version.id.clone())),
    }
}

/// The id of a new version (an object or a delete marker): fresh while versioning is enabled,
/// `null` while it is suspended.
pub fn next_id(status: Status) -> String {
    match status {
        Status::Enabled => fresh_id(),
        Status::Unversioned | Status::Suspended => NULL.to_owned(),
    }
}

/// Whether the current object must be kept when a version with `new_id` takes its place: always,
/// unless both are `null` (a suspended bucket overwrites its null version).
pub fn keeps_current(versions: &[Version], new_id: &str) -> bool {
    versions
        .first()
        .is_some_and(|v| v.state == State::Current && v.id != new_id)
}

/// Makes `new` the key's latest version. The current object becomes `kept` (the slot and tags it
/// was kept with) or, without one, is gone (overwritten or deleted); an older version with the
/// new id (a suspended bucket's null version) is replaced. Returns the slots to discard.
pub fn supersede(versions: &mut Vec<Version>, new: Version, kept: Option<(String, Tags)>) -> Vec<String> {
    if versions.first().is_some_and(|v| v.state == State::Current) {
        match kept {
            Some((slot, tags)) => versions[0].state = State::Kept { slot, tags },
            None => {
                versions.remove(0);
            }
        }
    }
    let mut discarded = Vec::new();
    versions.retain(|v| {
        let replaced = v.id == new.id;
        if let (true, State::Kept { slot, .. }) = (replaced, &v.state) {
            discarded.push(slot.clone());
        }
        !replaced
    });
    versions.insert(0, new);
    discarded
}

/// What removing one version did.
#[derive(Debug, PartialEq, Eq)]
pub struct Removed {
    pub version: Version,
    /// The older object that is current now: to move back from the history store (slot, tags).
    pub restore: Option<(String, Tags)>,
}

/// Removes the version `id`, if the key holds it. When the latest version goes and the one
/// before it is an object, that object becomes current again.
pub fn remove(versions: &mut Vec<Version>, id: &str) -> Option<Removed> {
    let at = versions.iter().position(|v| v.id == id)?;
    let version = versions.remove(at);
    let mut restore = None;
    if at == 0
        && let Some(next) = versions.first_mut()
        && let State::Kept { slot, tags } = &next.state
    {
        restore = Some((slot.clone(), tags.clone()));
        next.state = State::Current;
    }
    Some(Removed { version, restore })
}

/// Gives the older version `id` the tag set `tags`; false if the key holds no such object.
pub fn retag(versions: &mut [Version], id: &str, new: Tags) -> bool {
    match versions.iter_mut().find(|v| v.id == id).map(|v| &mut v.state) {
        Some(State::Kept { tags, .. }) => {
            *tags = new;
            true
        }
        _ => false,
    }
}

/// The versioning of every bucket: statuses and version lists.
#[derive(Default)]
pub struct Index {
    buckets: Mutex<HashMap<String, Bucket>>,
}

#[derive(Default)]
struct Bucket {
    status: Status,
    keys: BTreeMap<String, Vec<Version>>,
}

impl Index {
    pub fn status(&self, bucket: &str) -> Status {
        self.buckets
            .lock()
            .unwrap()
            .get(bucket)
            .map_or(Status::Unversioned, |b| b.status)
    }

    pub fn set_status(&self, bucket: &str, status: Status) {
        self.buckets
            .lock()
            .unwrap()
            .entry(bucket.to_owned())
            .or_default()
            .status = status;
    }

    /// The versions of `key`, newest first; `None` when the key has no list (see the module).
    pub fn get(&self, bucket: &str, key: &str) -> Option<Vec<Version>> {
        self.buckets.lock().unwrap().get(bucket)?.keys.get(key).cloned()
    }

    /// Stores the versions of `key` (an empty list: the key holds nothing at all).
    pub fn set(&self, bucket: &str, key: &str, versions: Vec<Version>) {
        let mut buckets = self.buckets.lock().unwrap();
        let keys = &mut buckets.entry(bucket.to_owned()).or_default().keys;
        if versions.is_empty() {
            keys.remove(key);
        } else {
            keys.insert(key.to_owned(), versions);
        }
    }

    /// Every key under `prefix` that has a list, with its versions, in key order.
    pub fn under(&self, bucket: &str, prefix: &str) -> BTreeMap<String, Vec<Version>> {
        let buckets = self.buckets.lock().unwrap();
        let Some(b) = buckets.get(bucket) else {
            return BTreeMap::new();
        };
        b.keys
            .range(prefix.to_owned()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    pub fn remove_bucket(&self, bucket: &str) {
        self.buckets.lock().unwrap().remove(bucket);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kept(id: &str, slot: &str) -> Version {
        Version {
            id: id.into(),
            state: State::Kept {
                slot: slot.into(),
                tags: Tags::new(),
            },
        }
    }

    #[test]
    fn fresh_ids_are_well_formed_and_others_are_not() {
        let id = fresh_id();
        assert!(is_well_formed(&id), "{id}");
        assert_ne!(id, fresh_id());
        assert!(is_well_formed("null"));
        assert!(is_well_formed("IYV3p45BT0ac8hjHg1houSdS1a.Mro8e"));
        for bad in [
            "",
            "nope",
            "Null",
            &"a".repeat(33),
            "IYV3p45BT0ac8hjHg1houSdS1a+Mro8e",
            "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY",
        ] {
            assert!(!is_well_formed(bad), "{bad}");
        }
    }

    #[test]
    fn an_unversioned_bucket_knows_only_null() {
        assert_eq!(find(Status::Unversioned, &[], None), Ok(Found::Current(None)));
        assert_eq!(find(Status::Unversioned, &[], Some("null")), Ok(Found::Current(None)));
        assert_eq!(find(Status::Unversioned, &[], Some(&fresh_id())), Err(Miss::Malformed));
    }

    #[test]
    fn requests_find_their_version_or_say_why_not() {
        let (a, b) = (fresh_id(), fresh_id());
        let versions = vec![Version::marker("m".repeat(32)), Version::current(&a), kept(&b, "s1")];
        // (A current object never follows a marker in a real list; find does not care.)
        let s = Status::Enabled;
        assert_eq!(
            find(s, &versions, None),
            Err(Miss::NoSuchKey {
                marker: Some("m".repeat(32))
            })
        );
        assert_eq!(
            find(s, &versions, Some(&"m".repeat(32))),
            Err(Miss::Marker("m".repeat(32)))
        );
        assert_eq!(find(s, &versions, Some(&a)), Ok(Found::Current(Some(a.clone()))));
        assert!(matches!(find(s, &versions, Some(&b)), Ok(Found::Kept { slot, .. }) if slot == "s1"));
        assert_eq!(find(s, &versions, Some(&fresh_id())), Err(Miss::NoSuchVersion));
        assert_eq!(find(s, &versions, Some("bad")), Err(Miss::Malformed));
        assert_eq!(find(s, &[], None), Err(Miss::NoSuchKey { marker: None }));
    }

    #[test]
    fn enabled_puts_keep_every_older_object() {
        let mut versions = vec![Version::current(NULL)];
        let id = next_id(Status::Enabled);
        assert!(keeps_current(&versions, &id));
        let dropped = supersede(&mut versions, Version::current(&id), Some(("s1".into(), Tags::new())));
        assert_eq!(dropped, Vec::<String>::new());
        assert_eq!(versions, [Version::current(&id), kept(NULL, "s1")]);
    }

    #[test]
    fn suspended_writes_replace_the_null_version_wherever_it_is() {
        // The null object is current: overwritten, not kept.
        let mut versions = vec![Version::current(NULL)];
        assert!(!keeps_current(&versions, NULL));
        supersede(&mut versions, Version::current(NULL), None);
        assert_eq!(versions, [Version::current(NULL)]);
        // A null version further down goes; the current one is kept.
        let a = fresh_id();
        let mut versions = vec![Version::current(&a), kept(NULL, "s0")];
        assert!(keeps_current(&versions, NULL));
        let dropped = supersede(&mut versions, Version::marker(NULL), Some(("s1".into(), Tags::new())));
        assert_eq!(dropped, ["s0"]);
        assert_eq!(versions.len(), 2);
        assert_eq!(versions[1], kept(&a, "s1"));
        assert!(matches!(versions[0].state, State::Marker { .. }));
    }

    #[test]
    fn removing_the_latest_version_brings_the_one_before_back() {
        let (a, b, m) = (fresh_id(), fresh_id(), fresh_id());
        let mut versions = vec![Version::marker(&m), kept(&a, "sa"), kept(&b, "sb")];
        let removed = remove(&mut versions, &m).unwrap();
        assert!(matches!(removed.version.state, State::Marker { .. }));
        assert_eq!(removed.restore, Some(("sa".into(), Tags::new())));
        assert_eq!(versions, [Version::current(&a), kept(&b, "sb")]);
        // An older version goes alone.
        let removed = remove(&mut versions, &b).unwrap();
        assert_eq!((removed.version, removed.restore), (kept(&b, "sb"), None));
        assert_eq!(versions, [Version::current(&a)]);
        assert_eq!(remove(&mut versions, &fresh_id()), None);
        assert!(remove(&mut versions, &a).is_some_and(|r| r.restore.is_none()));
        assert!(versions.is_empty());
    }
}
