//! Keys as long as S3 takes them (1,024 bytes of UTF-8), which s3s-fs cannot name files after:
//! every object call, listing and version works on them as on short keys, through aws-sdk-s3.

mod common;

use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::SdkError;
use aws_sdk_s3::operation::put_object::{PutObjectError, PutObjectOutput};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketVersioningStatus, CompletedMultipartUpload, CompletedPart, Delete, ObjectIdentifier, Tag, Tagging,
    VersioningConfiguration,
};
use cognito_import_emulator::{EmulatorConfig, Fault};
use common::*;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

const B: &str = "cognito-import-local";

/// `head`, then `unit` as many times as fits, then `x`s: exactly `len` bytes.
fn key_of(head: &str, unit: &str, tail: &str, len: usize) -> String {
    let mut key = head.to_owned();
    while key.len() + unit.len() + tail.len() <= len {
        key.push_str(unit);
    }
    while key.len() + tail.len() < len {
        key.push('x');
    }
    key + tail
}

/// 1,024 bytes in many short segments.
fn segments() -> String {
    key_of("deep/", "0123456/", ".csv", 1024)
}

/// 1,024 bytes in one segment.
fn one_segment() -> String {
    key_of("long-", "o", "", 1024)
}

/// 512 two-byte characters.
fn accents() -> String {
    "é".repeat(512)
}

fn long_keys() -> [String; 3] {
    [segments(), one_segment(), accents()]
}

/// Short keys before, between and after the long ones.
const SHORT: &[&str] = &[
    "a.csv",
    "deep.csv",
    "deep/0.csv",
    "deep/1.csv",
    "long-a",
    "long-p",
    "z",
    "é",
];

async fn bucket(s3: &S3, name: &str) {
    s3.create_bucket().bucket(name).send().await.expect("CreateBucket");
}

/// PutObject of `body` at `key`, as it answered.
async fn try_put(
    s3: &S3,
    bucket: &str,
    key: &str,
    body: &str,
) -> Result<PutObjectOutput, SdkError<PutObjectError, HttpResponse>> {
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(body.as_bytes().to_vec()))
        .send()
        .await
}

async fn put(s3: &S3, bucket: &str, key: &str, body: &str) -> (String, Option<String>) {
    let out = try_put(s3, bucket, key, body)
        .await
        .unwrap_or_else(|e| panic!("PutObject {}: {e:?}", short(key)));
    (out.e_tag.unwrap(), out.version_id)
}

async fn get(s3: &S3, bucket: &str, key: &str) -> (String, String) {
    let out = s3
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GetObject {}: {e:?}", short(key)));
    let e_tag = out.e_tag.clone().unwrap();
    let body = out.body.collect().await.unwrap().into_bytes();
    (String::from_utf8(body.to_vec()).unwrap(), e_tag)
}

/// A key as a failure message shows it.
fn short(key: &str) -> String {
    let head: String = key.chars().take(24).collect();
    format!("{head}… ({} bytes)", key.len())
}

/// What `x-amz-copy-source` takes: the bucket and the key, URL-encoded but for the `/`s.
fn copy_source(bucket: &str, key: &str) -> String {
    const KEEP: &AsciiSet = &NON_ALPHANUMERIC.remove(b'/');
    format!("{bucket}/{}", utf8_percent_encode(key, KEEP))
}

/// Every key and common prefix a ListObjectsV2 of `prefix` (by `delimiter`) lists, page after
/// page of `page_size`.
async fn list(s3: &S3, prefix: &str, delimiter: Option<&str>, page_size: i32) -> (Vec<String>, Vec<String>) {
    let mut pages = s3
        .list_objects_v2()
        .bucket(B)
        .prefix(prefix)
        .set_delimiter(delimiter.map(str::to_owned))
        .max_keys(page_size)
        .into_paginator()
        .send();
    let (mut keys, mut prefixes) = (Vec::new(), Vec::new());
    while let Some(page) = pages.next().await {
        let page = page.expect("ListObjectsV2");
        keys.extend(page.contents().iter().filter_map(|o| o.key().map(str::to_owned)));
        prefixes.extend(
            page.common_prefixes()
                .iter()
                .filter_map(|p| p.prefix().map(str::to_owned)),
        );
    }
    (keys, prefixes)
}

fn sorted(keys: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut keys: Vec<String> = keys.into_iter().collect();
    keys.sort();
    keys
}

#[tokio::test]
async fn long_keys_are_put_read_and_headed_like_short_ones() {
    let emulator = start().await;
    let s3 = s3(&emulator);
    bucket(&s3, B).await;
    for key in long_keys() {
        assert_eq!(key.len(), 1024);
        let body = format!("body of {}", short(&key));
        let (e_tag, _) = put(&s3, B, &key, &body).await;
        assert_eq!(get(&s3, B, &key).await, (body.clone(), e_tag.clone()));
        let head = s3.head_object().bucket(B).key(&key).send().await.expect("HeadObject");
        assert_eq!(head.e_tag(), Some(e_tag.as_str()));
        assert_eq!(head.content_length(), Some(body.len() as i64));
        // The same content has the same ETag under a short key.
        assert_eq!(put(&s3, B, "short", &body).await.0, e_tag);
    }
}

#[tokio::test]
async fn conditional_writes_and_reads_of_long_keys_compare_the_object() {
    let emulator = start().await;
    let s3 = s3(&emulator);
    bucket(&s3, B).await;
    for key in long_keys() {
        let create = || {
            s3.put_object()
                .bucket(B)
                .key(&key)
                .if_none_match("*")
                .body(ByteStream::from_static(b"first"))
                .send()
        };
        let e_tag = create().await.expect("the first create-only put").e_tag.unwrap();
        let again = create().await;
        assert_eq!((status(&again), code(&again).as_str()), (412, "PreconditionFailed"));

        let replace = |if_match: &str| {
            s3.put_object()
                .bucket(B)
                .key(&key)
                .if_match(if_match)
                .body(ByteStream::from_static(b"second"))
                .send()
        };
        let stale = replace("\"0123456789abcdef0123456789abcdef\"").await;
        assert_eq!(status(&stale), 412);
        let replaced = replace(&e_tag).await.expect("a put that names the current ETag");
        assert_ne!(replaced.e_tag(), Some(e_tag.as_str()));

        let read = s3.get_object().bucket(B).key(&key).if_match(&e_tag).send().await;
        assert_eq!(status(&read), 412, "the ETag is the replaced object's");
        let read = s3
            .get_object()
            .bucket(B)
            .key(&key)
            .if_match(replaced.e_tag().unwrap())
            .send()
            .await;
        let body = read
            .expect("GetObject If-Match")
            .body
            .collect()
            .await
            .unwrap()
            .into_bytes();
        assert_eq!(&body[..], b"second");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_ten_concurrent_create_only_puts_of_a_long_key_one_wins() {
    let emulator = start().await;
    let s3 = s3(&emulator);
    bucket(&s3, B).await;
    let key = one_segment();
    let puts = (0..10).map(|i| {
        let (s3, key) = (s3.clone(), key.clone());
        tokio::spawn(async move {
            s3.put_object()
                .bucket(B)
                .key(key)
                .if_none_match("*")
                .body(ByteStream::from(format!("writer {i}").into_bytes()))
                .send()
                .await
                .is_ok()
        })
    });
    let won = futures::future::join_all(puts)
        .await
        .into_iter()
        .filter(|r| *r.as_ref().unwrap())
        .count();
    assert_eq!(won, 1);
}

#[tokio::test]
async fn long_keys_have_tags() {
    let emulator = start().await;
    let s3 = s3(&emulator);
    bucket(&s3, B).await;
    for key in long_keys() {
        s3.put_object()
            .bucket(B)
            .key(&key)
            .tagging("state=new")
            .body(ByteStream::from_static(b"x"))
            .send()
            .await
            .expect("PutObject with tags");
        let tags = |out: aws_sdk_s3::operation::get_object_tagging::GetObjectTaggingOutput| {
            out.tag_set()
                .iter()
                .map(|t| format!("{}={}", t.key(), t.value()))
                .collect::<Vec<_>>()
        };
        let read = s3.get_object_tagging().bucket(B).key(&key).send().await.unwrap();
        assert_eq!(tags(read), ["state=new"]);
        let tagging = Tagging::builder()
            .tag_set(Tag::builder().key("state").value("done").build().unwrap())
            .build()
            .unwrap();
        s3.put_object_tagging()
            .bucket(B)
            .key(&key)
            .tagging(tagging)
            .send()
            .await
            .expect("PutObjectTagging");
        let read = s3.get_object_tagging().bucket(B).key(&key).send().await.unwrap();
        assert_eq!(tags(read), ["state=done"]);
        assert_eq!(
            emulator.object_tags(B, &key),
            Some(vec![("state".into(), "done".into())])
        );
        s3.delete_object_tagging()
            .bucket(B)
            .key(&key)
            .send()
            .await
            .expect("DeleteObjectTagging");
        let read = s3.get_object_tagging().bucket(B).key(&key).send().await.unwrap();
        assert_eq!(tags(read), Vec::<String>::new());
        assert!(emulator.object_file(B, &key).is_some_and(|file| file.is_file()));
    }
}

#[tokio::test]
async fn long_keys_are_copied_to_and_from() {
    let emulator = start().await;
    let s3 = s3(&emulator);
    bucket(&s3, B).await;
    let [from, to, back] = long_keys();
    s3.put_object()
        .bucket(B)
        .key("source.csv")
        .tagging("n=1")
        .body(ByteStream::from_static(b"copied"))
        .send()
        .await
        .unwrap();
    let copy = |source: String, key: String| {
        s3.copy_object()
            .bucket(B)
            .key(key)
            .copy_source(copy_source(B, &source))
            .send()
    };
    copy("source.csv".into(), from.clone())
        .await
        .expect("a copy to a long key");
    copy(from.clone(), to.clone()).await.expect("a copy between long keys");
    copy(to.clone(), back.clone()).await.expect("a copy between long keys");
    copy(back.clone(), "back.csv".into())
        .await
        .expect("a copy from a long key");
    let (body, e_tag) = get(&s3, B, "source.csv").await;
    for key in [&from, &to, &back, &"back.csv".to_owned()] {
        assert_eq!(get(&s3, B, key).await, (body.clone(), e_tag.clone()), "{}", short(key));
        assert_eq!(emulator.object_tags(B, key), Some(vec![("n".into(), "1".into())]));
    }
    // Onto itself: S3 takes it when something changes, here the metadata.
    s3.copy_object()
        .bucket(B)
        .key(&to)
        .copy_source(copy_source(B, &to))
        .metadata_directive(aws_sdk_s3::types::MetadataDirective::Replace)
        .content_type("text/csv")
        .send()
        .await
        .expect("a copy onto itself");
    let head = s3.head_object().bucket(B).key(&to).send().await.unwrap();
    assert_eq!(
        (head.content_type(), head.e_tag()),
        (Some("text/csv"), Some(e_tag.as_str()))
    );
}

#[tokio::test]
async fn long_keys_are_deleted_alone_and_in_batches() {
    let emulator = start().await;
    let s3 = s3(&emulator);
    bucket(&s3, B).await;
    let [segments, one, accents] = long_keys();
    for key in [&segments, &one, &accents] {
        put(&s3, B, key, "x").await;
    }
    put(&s3, B, "short", "x").await;

    s3.delete_object()
        .bucket(B)
        .key(&segments)
        .send()
        .await
        .expect("DeleteObject");
    let gone = s3.get_object().bucket(B).key(&segments).send().await;
    assert_eq!((status(&gone), code(&gone).as_str()), (404, "NoSuchKey"));
    assert!(emulator.object_file(B, &segments).is_none());

    let ids = [&one, &accents, &"short".to_owned()].map(|k| ObjectIdentifier::builder().key(k).build().unwrap());
    let out = s3
        .delete_objects()
        .bucket(B)
        .delete(Delete::builder().set_objects(Some(ids.to_vec())).build().unwrap())
        .send()
        .await
        .expect("DeleteObjects");
    let deleted = sorted(out.deleted().iter().filter_map(|d| d.key().map(str::to_owned)));
    assert_eq!(deleted, sorted([one.clone(), accents.clone(), "short".to_owned()]));
    for key in [&one, &accents] {
        let gone = s3.head_object().bucket(B).key(key).send().await;
        assert_eq!(status(&gone), 404);
    }
    assert_eq!(list(&s3, "", None, 1000).await, (vec![], vec![]));

    // Written again, they are back.
    put(&s3, B, &one, "again").await;
    assert_eq!(get(&s3, B, &one).await.0, "again");
    assert_eq!(list(&s3, "", None, 1000).await.0, [one]);
}

#[tokio::test]
async fn listings_hold_each_long_key_once_by_its_real_name_in_order() {
    let emulator = start().await;
    let s3 = s3(&emulator);
    bucket(&s3, B).await;
    for key in long_keys().iter().map(String::as_str).chain(SHORT.iter().copied()) {
        put(&s3, B, key, "x").await;
    }
    let everything = sorted(long_keys().into_iter().chain(SHORT.iter().map(|k| k.to_string())));
    for page_size in [1000, 1, 3] {
        assert_eq!(list(&s3, "", None, page_size).await, (everything.clone(), vec![]));
    }

    // A prefix that takes a long key in, and one that leaves it out.
    let [segments, one, accents] = long_keys();
    assert_eq!(list(&s3, "long-", None, 1000).await.0, ["long-a", &one, "long-p"]);
    assert_eq!(list(&s3, &one[..600], None, 1000).await.0, [one.as_str()]);
    assert_eq!(list(&s3, &one, None, 1000).await.0, [one.as_str()]);
    assert_eq!(
        list(&s3, &format!("{}p", &one[..600]), None, 1000).await.0,
        Vec::<String>::new()
    );
    assert_eq!(list(&s3, &format!("{one}o"), None, 1000).await.0, Vec::<String>::new());
    assert_eq!(
        list(&s3, "deep/0123456/0123456/", None, 1000).await.0,
        [segments.as_str()]
    );
    assert_eq!(list(&s3, "deep/0", None, 1000).await.0, ["deep/0.csv", &segments]);
    assert_eq!(list(&s3, "deep/01234567", None, 1000).await.0, Vec::<String>::new());
    assert_eq!(list(&s3, "éé", None, 1000).await.0, [accents.as_str()]);
    assert_eq!(list(&s3, "é", None, 1000).await.0, ["é", &accents]);
    // Surrogates are nowhere to be seen, even where they are kept.
    assert_eq!(list(&s3, ".", None, 1000).await, (vec![], vec![]));

    // A delimiter rolls a long key up under its real prefix, once.
    let (keys, prefixes) = list(&s3, "", Some("/"), 1000).await;
    let mut top: Vec<String> = everything.iter().filter(|k| !k.contains('/')).cloned().collect();
    top.sort();
    assert_eq!((keys, prefixes), (top, vec!["deep/".to_owned()]));
    let (keys, prefixes) = list(&s3, "deep/", Some("/"), 1).await;
    assert_eq!(keys, ["deep/0.csv", "deep/1.csv"]);
    assert_eq!(prefixes, ["deep/0123456/"]);
    let (keys, prefixes) = list(&s3, "", Some("o"), 1000).await;
    assert!(!keys.contains(&one), "{keys:?}");
    assert!(prefixes.contains(&"lo".to_owned()), "{prefixes:?}");

    // ListObjects (V1) lists the same.
    let v1 = s3
        .list_objects()
        .bucket(B)
        .prefix("long-")
        .send()
        .await
        .expect("ListObjects");
    let v1: Vec<&str> = v1.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(v1, ["long-a", &one, "long-p"]);
    let v1 = s3
        .list_objects()
        .bucket(B)
        .marker(&one)
        .send()
        .await
        .expect("ListObjects");
    let v1: Vec<&str> = v1.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(v1, ["long-p", "z", "é", &accents]);

    // StartAfter a long key resumes after it.
    let after = s3
        .list_objects_v2()
        .bucket(B)
        .start_after(&segments)
        .send()
        .await
        .unwrap();
    assert_eq!(after.contents().first().and_then(|o| o.key()), Some("deep/1.csv"));
    // Size and ETag come from the object.
    let listed = s3.list_objects_v2().bucket(B).prefix(&accents).send().await.unwrap();
    let object = &listed.contents()[0];
    assert_eq!(
        (object.size(), object.e_tag()),
        (Some(1), Some(get(&s3, B, &accents).await.1.as_str()))
    );
}

#[tokio::test]
async fn long_keys_are_uploaded_in_parts() {
    let emulator = start().await;
    let s3 = s3(&emulator);
    bucket(&s3, B).await;
    for key in long_keys() {
        let upload = s3
            .create_multipart_upload()
            .bucket(B)
            .key(&key)
            .tagging("by=parts")
            .send()
            .await
            .expect("CreateMultipartUpload");
        assert_eq!(upload.key(), Some(key.as_str()));
        let upload_id = upload.upload_id().unwrap();
        let part = s3
            .upload_part()
            .bucket(B)
            .key(&key)
            .upload_id(upload_id)
            .part_number(1)
            .body(ByteStream::from_static(b"in one part"))
            .send()
            .await
            .expect("UploadPart");
        let parts = s3
            .list_parts()
            .bucket(B)
            .key(&key)
            .upload_id(upload_id)
            .send()
            .await
            .expect("ListParts");
        assert_eq!((parts.key(), parts.parts().len()), (Some(key.as_str()), 1));
        let done = CompletedMultipartUpload::builder()
            .parts(
                CompletedPart::builder()
                    .part_number(1)
                    .e_tag(part.e_tag().unwrap())
                    .build(),
            )
            .build();
        let out = s3
            .complete_multipart_upload()
            .bucket(B)
            .key(&key)
            .upload_id(upload_id)
            .multipart_upload(done)
            .send()
            .await
            .expect("CompleteMultipartUpload");
        assert_eq!(out.key(), Some(key.as_str()));
        assert!(out.e_tag().is_some_and(|e| e.ends_with("-1\"")), "{:?}", out.e_tag());
        assert_eq!(
            get(&s3, B, &key).await,
            ("in one part".into(), out.e_tag().unwrap().into())
        );
        assert_eq!(emulator.object_tags(B, &key), Some(vec![("by".into(), "parts".into())]));

        let aborted = s3.create_multipart_upload().bucket(B).key(&key).send().await.unwrap();
        s3.abort_multipart_upload()
            .bucket(B)
            .key(&key)
            .upload_id(aborted.upload_id().unwrap())
            .send()
            .await
            .expect("AbortMultipartUpload");
    }
    let listed = list(&s3, "", None, 1000).await.0;
    assert_eq!(listed, sorted(long_keys()));
}

#[tokio::test]
async fn a_key_over_1024_bytes_is_refused() {
    let emulator = start().await;
    let s3 = s3(&emulator);
    bucket(&s3, B).await;
    for key in [
        "k".repeat(1025),
        format!("{}k", accents()),
        format!("deep/{}", "s/".repeat(510)),
    ] {
        assert_eq!(key.len(), 1025);
        let put = try_put(&s3, B, &key, "x").await;
        assert_eq!((status(&put), code(&put).as_str()), (400, "KeyTooLongError"));
        let get = s3.get_object().bucket(B).key(&key).send().await;
        assert_eq!(status(&get), 400);
    }
    assert_eq!(list(&s3, "", None, 1000).await, (vec![], vec![]));
}

#[tokio::test]
async fn faults_scoped_to_a_long_key_meet_its_calls() {
    let emulator = start().await;
    let s3 = s3(&emulator);
    bucket(&s3, B).await;
    let key = one_segment();
    emulator
        .faults()
        .inject_for_key("PutObject", &key[900..], Fault::Fail, 1);
    put(&s3, B, "other", "x").await;
    let failed = try_put(&s3, B, &key, "x").await;
    assert_eq!((status(&failed), code(&failed).as_str()), (500, "InternalError"));
    emulator
        .faults()
        .inject_for_key("DeleteObject", &key[..900], Fault::LoseAnswer, 1);
    put(&s3, B, &key, "x").await;
    let lost = s3.delete_object().bucket(B).key(&key).send().await;
    assert_eq!(status(&lost), 500);
    let gone = s3.head_object().bucket(B).key(&key).send().await;
    assert_eq!(status(&gone), 404, "the delete happened");
}

#[tokio::test]
async fn long_keys_outlive_a_restart_on_the_same_data() {
    let data = tempfile::tempdir().unwrap();
    let config = || EmulatorConfig {
        data_dir: Some(data.path().to_owned()),
        ..EmulatorConfig::default()
    };
    let first = start_with(config()).await;
    bucket(&s3(&first), B).await;
    for key in long_keys() {
        put(&s3(&first), B, &key, "kept").await;
    }
    drop(first);
    let second = start_with(config()).await;
    let s3 = s3(&second);
    assert_eq!(list(&s3, "", None, 1000).await.0, sorted(long_keys()));
    for key in long_keys() {
        assert_eq!(get(&s3, B, &key).await.0, "kept");
    }
}

async fn set_versioning(s3: &S3, status: BucketVersioningStatus) {
    s3.put_bucket_versioning()
        .bucket(B)
        .versioning_configuration(VersioningConfiguration::builder().status(status).build())
        .send()
        .await
        .expect("PutBucketVersioning");
}

async fn read_version(s3: &S3, key: &str, version_id: &str) -> String {
    let out = s3
        .get_object()
        .bucket(B)
        .key(key)
        .version_id(version_id)
        .send()
        .await
        .expect("GetObject of a version");
    assert_eq!(out.version_id(), Some(version_id));
    String::from_utf8(out.body.collect().await.unwrap().into_bytes().to_vec()).unwrap()
}

/// `key@version` of every version and `key@version (marker)` of every delete marker under
/// `prefix`, `*` marking the latest, in the order listed.
async fn versions(s3: &S3, prefix: &str) -> Vec<String> {
    let out = s3
        .list_object_versions()
        .bucket(B)
        .prefix(prefix)
        .send()
        .await
        .expect("ListObjectVersions");
    let latest = |l: Option<bool>| if l == Some(true) { "*" } else { "" };
    let objects = out.versions().iter().map(|v| {
        let (key, id) = (v.key().unwrap(), v.version_id().unwrap());
        format!("{}@{id}{}", short(key), latest(v.is_latest()))
    });
    let markers = out.delete_markers().iter().map(|m| {
        let (key, id) = (m.key().unwrap(), m.version_id().unwrap());
        format!("{}@{id} (marker){}", short(key), latest(m.is_latest()))
    });
    objects.chain(markers).collect()
}

#[tokio::test]
async fn long_keys_keep_their_versions() {
    let emulator = start().await;
    let s3 = s3(&emulator);
    bucket(&s3, B).await;
    // One written before versioning: its null version is kept too.
    let [segments, one, accents] = long_keys();
    put(&s3, B, &accents, "before").await;
    set_versioning(&s3, BucketVersioningStatus::Enabled).await;
    put(&s3, B, "long-a", "short").await;
    for key in [&segments, &one, &accents] {
        let (_, first) = put(&s3, B, key, "first").await;
        let (_, second) = put(&s3, B, key, "second").await;
        let (first, second) = (first.unwrap(), second.unwrap());
        let marker = s3
            .delete_object()
            .bucket(B)
            .key(key)
            .send()
            .await
            .expect("DeleteObject");
        assert_eq!(marker.delete_marker(), Some(true));
        let marker = marker.version_id().unwrap().to_owned();

        let mut expected = vec![format!("{}@{second}", short(key)), format!("{}@{first}", short(key))];
        if key == &accents {
            expected.push(format!("{}@null", short(key)));
            assert_eq!(read_version(&s3, key, "null").await, "before");
        }
        expected.push(format!("{}@{marker} (marker)*", short(key)));
        assert_eq!(versions(&s3, key).await, expected);
        assert_eq!(read_version(&s3, key, &first).await, "first");
        assert_eq!(read_version(&s3, key, &second).await, "second");
        let head = s3
            .head_object()
            .bucket(B)
            .key(key)
            .version_id(&first)
            .send()
            .await
            .unwrap();
        assert_eq!(head.version_id(), Some(first.as_str()));
        let current = s3.get_object().bucket(B).key(key).send().await;
        assert_eq!(status(&current), 404, "a delete marker is the latest");

        // Removing the marker makes the second version current again, tags and all.
        s3.put_object_tagging()
            .bucket(B)
            .key(key)
            .version_id(&first)
            .tagging(
                Tagging::builder()
                    .tag_set(Tag::builder().key("v").value("1").build().unwrap())
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .expect("PutObjectTagging of a version");
        s3.delete_object()
            .bucket(B)
            .key(key)
            .version_id(&marker)
            .send()
            .await
            .expect("DeleteObject of the marker");
        assert_eq!(get(&s3, B, key).await.0, "second");
        let tags = s3
            .get_object_tagging()
            .bucket(B)
            .key(key)
            .version_id(&first)
            .send()
            .await
            .unwrap();
        assert_eq!(tags.tag_set().len(), 1);
        s3.delete_object()
            .bucket(B)
            .key(key)
            .version_id(&second)
            .send()
            .await
            .expect("DeleteObject of a version");
        assert_eq!(get(&s3, B, key).await.0, "first");
    }
    // Listed in key order among the short keys.
    let out = s3.list_object_versions().bucket(B).send().await.unwrap();
    let mut keys: Vec<&str> = out.versions().iter().filter_map(|v| v.key()).collect();
    keys.dedup();
    assert_eq!(keys, [segments.as_str(), "long-a", &one, &accents]);
    let rolled = s3.list_object_versions().bucket(B).delimiter("/").send().await.unwrap();
    let prefixes: Vec<&str> = rolled.common_prefixes().iter().filter_map(|p| p.prefix()).collect();
    assert_eq!(prefixes, ["deep/"]);
}
