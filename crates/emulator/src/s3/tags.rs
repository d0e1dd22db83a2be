//! Object tags, which s3s-fs does not keep: S3's rules for a tag set, and the tags of each current
//! object in memory (an older version keeps its own, in `versions`).

use std::collections::HashMap;
use std::sync::Mutex;

use s3s::dto::Tagging;
use s3s::{S3Result, s3_error};

/// One object: bucket and key.
type ObjectId = (String, String);

/// A tag set: keys and values in the order they were given.
pub type Tags = Vec<(String, String)>;

/// S3's limits on an object's tags.
const MAX_TAGS: usize = 10;
const MAX_TAG_KEY_CHARS: usize = 128;
const MAX_TAG_VALUE_CHARS: usize = 256;

/// Checks a tag set the way S3 does, answering `InvalidTag` with S3's messages.
fn validate_tags(tags: &[(String, String)]) -> S3Result<()> {
    if tags.len() > MAX_TAGS {
        return Err(s3_error!(InvalidTag, "Object tags cannot be greater than {MAX_TAGS}"));
    }
    for (i, (key, value)) in tags.iter().enumerate() {
        if key.is_empty() {
            return Err(s3_error!(InvalidTag, "The TagKey you have provided is invalid"));
        }
        if key.chars().count() > MAX_TAG_KEY_CHARS {
            return Err(s3_error!(
                InvalidTag,
                "The TagKey you have provided is too long, max {MAX_TAG_KEY_CHARS}"
            ));
        }
        if value.chars().count() > MAX_TAG_VALUE_CHARS {
            return Err(s3_error!(
                InvalidTag,
                "The TagValue you have provided is too long, max {MAX_TAG_VALUE_CHARS}"
            ));
        }
        if tags[..i].iter().any(|(earlier, _)| earlier == key) {
            return Err(s3_error!(InvalidTag, "Cannot provide multiple Tags with the same key"));
        }
    }
    Ok(())
}

/// The tag set of a PutObjectTagging body.
pub(super) fn tags_from_xml(tagging: &Tagging) -> S3Result<Tags> {
    let tags = tagging
        .tag_set
        .iter()
        .map(|tag| match &tag.key {
            Some(key) => Ok((key.clone(), tag.value.clone().unwrap_or_default())),
            None => Err(s3_error!(InvalidTag, "The TagKey you have provided is invalid")),
        })
        .collect::<S3Result<Tags>>()?;
    validate_tags(&tags)?;
    Ok(tags)
}

/// The tag set of an `x-amz-tagging` header, which is URL-query encoded (`k1=v1&k2=v2`).
pub(super) fn tags_from_header(header: Option<&str>) -> S3Result<Tags> {
    let tags: Tags = form_urlencoded::parse(header.unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    validate_tags(&tags)?;
    Ok(tags)
}

/// Object tags, which s3s-fs does not keep: in memory, by object, gone with the object.
#[derive(Default)]
pub struct ObjectTags {
    objects: Mutex<HashMap<ObjectId, Tags>>,
    /// Tags given to CreateMultipartUpload, by upload id, until the upload completes or aborts.
    uploads: Mutex<HashMap<String, Tags>>,
}

impl ObjectTags {
    /// The tags of an object (empty when it has none; whether it exists is not checked here).
    pub fn get(&self, bucket: &str, key: &str) -> Tags {
        let id = (bucket.to_owned(), key.to_owned());
        self.objects.lock().unwrap().get(&id).cloned().unwrap_or_default()
    }

    pub(super) fn set(&self, bucket: &str, key: &str, tags: Tags) {
        let id = (bucket.to_owned(), key.to_owned());
        let mut objects = self.objects.lock().unwrap();
        if tags.is_empty() {
            objects.remove(&id);
        } else {
            objects.insert(id, tags);
        }
    }

    pub(super) fn remove_bucket(&self, bucket: &str) {
        self.objects.lock().unwrap().retain(|(b, _), _| b != bucket);
    }

    /// Keeps the tags a CreateMultipartUpload named until its upload completes or aborts.
    pub(super) fn start_upload(&self, upload_id: &str, tags: Tags) {
        self.uploads.lock().unwrap().insert(upload_id.to_owned(), tags);
    }

    /// The tags of an upload that completes or aborts (none if it named none).
    pub(super) fn end_upload(&self, upload_id: &str) -> Tags {
        self.uploads.lock().unwrap().remove(upload_id).unwrap_or_default()
    }
}
