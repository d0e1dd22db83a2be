//! S3 bucket versioning through aws-sdk-s3: every put keeps the older versions, reads and tags
//! name one version, deletes add markers or remove one version, ListObjectVersions lists them;
//! an unversioned bucket answers as it always did.

mod common;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{BucketVersioningStatus, Delete, ObjectIdentifier, Tag, Tagging, VersioningConfiguration};
use common::*;

const B: &str = "versioned";

async fn bucket(s3: &S3, name: &str) {
    s3.create_bucket().bucket(name).send().await.expect("CreateBucket");
}

async fn set_versioning(s3: &S3, name: &str, status: BucketVersioningStatus) {
    s3.put_bucket_versioning()
        .bucket(name)
        .versioning_configuration(VersioningConfiguration::builder().status(status).build())
        .send()
        .await
        .expect("PutBucketVersioning");
}

async fn versioned_bucket(s3: &S3) {
    bucket(s3, B).await;
    set_versioning(s3, B, BucketVersioningStatus::Enabled).await;
}

/// Puts `body` at `key`; returns (ETag, version id).
async fn put(s3: &S3, bucket: &str, key: &str, body: &str) -> (String, Option<String>) {
    let out = s3
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(body.as_bytes().to_vec()))
        .send()
        .await
        .expect("PutObject");
    (out.e_tag.unwrap(), out.version_id)
}

/// The body and version id of a GetObject of `key` (at `version`).
async fn get(s3: &S3, key: &str, version: Option<&str>) -> (String, Option<String>) {
    let out = s3
        .get_object()
        .bucket(B)
        .key(key)
        .set_version_id(version.map(str::to_owned))
        .send()
        .await
        .expect("GetObject");
    let version_id = out.version_id.clone();
    let body = out.body.collect().await.unwrap().into_bytes();
    (String::from_utf8(body.to_vec()).unwrap(), version_id)
}

/// `key@version` of every version, then `key@version (marker)` of every delete marker, each
/// followed by `*` when it is the latest.
async fn versions(s3: &S3, bucket: &str, prefix: &str) -> Vec<String> {
    let out = s3
        .list_object_versions()
        .bucket(bucket)
        .prefix(prefix)
        .send()
        .await
        .expect("ListObjectVersions");
    let latest = |l: Option<bool>| if l == Some(true) { "*" } else { "" };
    let mut listed: Vec<String> = out
        .versions()
        .iter()
        .map(|v| {
            format!(
                "{}@{}{}",
                v.key().unwrap(),
                v.version_id().unwrap(),
                latest(v.is_latest())
            )
        })
        .collect();
    listed.extend(out.delete_markers().iter().map(|m| {
        format!(
            "{}@{} (marker){}",
            m.key().unwrap(),
            m.version_id().unwrap(),
            latest(m.is_latest())
        )
    }));
    listed
}

fn tagging(tags: &[(&str, &str)]) -> Tagging {
    let tags = tags
        .iter()
        .map(|(k, v)| Tag::builder().key(*k).value(*v).build().unwrap());
    Tagging::builder().set_tag_set(Some(tags.collect())).build().unwrap()
}

#[tokio::test]
async fn once_enabled_every_put_keeps_the_older_versions_readable_by_id() {
    let emulator = start().await;
    let s3 = s3(&emulator);
    bucket(&s3, B).await;
    let status = s3.get_bucket_versioning().bucket(B).send().await.unwrap();
    assert_eq!(status.status(), None, "a new bucket is unversioned");
    let (_, before) = put(&s3, B, "k.csv", "v0").await;
    assert_eq!(before, None, "an unversioned put answers no version id");

    set_versioning(&s3, B, BucketVersioningStatus::Enabled).await;
    let status = s3.get_bucket_versioning().bucket(B).send().await.unwrap();
    assert_eq!(status.status(), Some(&BucketVersioningStatus::Enabled));
    let (etag1, v1) = put(&s3, B, "k.csv", "version one").await;
    let (etag2, v2) = put(&s3, B, "k.csv", "v2").await;
    let (v1, v2) = (v1.expect("a version id"), v2.expect("a version id"));
    assert_ne!(v1, v2);
    assert_eq!(v1.len(), 32, "{v1}");

    assert_eq!(get(&s3, "k.csv", None).await, ("v2".into(), Some(v2.clone())));
    assert_eq!(
        get(&s3, "k.csv", Some(&v1)).await,
        ("version one".into(), Some(v1.clone()))
    );
    assert_eq!(
        get(&s3, "k.csv", Some("null")).await,
        ("v0".into(), Some("null".into()))
    );
    let head = s3
        .head_object()
        .bucket(B)
        .key("k.csv")
        .version_id(&v1)
        .send()
        .await
        .unwrap();
    assert_eq!((head.e_tag(), head.content_length()), (Some(etag1.as_str()), Some(11)));
    assert_eq!(head.version_id(), Some(v1.as_str()));

    assert_eq!(
        versions(&s3, B, "").await,
        [format!("k.csv@{v2}*"), format!("k.csv@{v1}"), "k.csv@null".into()]
    );
    let listed = s3.list_object_versions().bucket(B).send().await.unwrap();
    let newest = &listed.versions()[0];
    assert_eq!((newest.e_tag(), newest.size()), (Some(etag2.as_str()), Some(2)));
    assert!(newest.last_modified().is_some());
    // The current objects are listed as before: one key; and the older versions' store is no
    // bucket.
    let objects = s3.list_objects_v2().bucket(B).send().await.unwrap();
    assert_eq!(objects.contents().len(), 1);
    let buckets = s3.list_buckets().send().await.unwrap();
    let names: Vec<&str> = buckets.buckets().iter().filter_map(|b| b.name()).collect();
    assert!(!names.iter().any(|n| n.contains("versions")), "{names:?}");
}

#[tokio::test]
async fn unknown_version_ids_are_not_found_and_malformed_ones_are_refused() {
    let emulator = start().await;
    let s3 = s3(&emulator);
    versioned_bucket(&s3).await;
    put(&s3, B, "k", "x").await;
    let unknown = "IYV3p45BT0ac8hjHg1houSdS1a.Mro8e";

    let got = s3.get_object().bucket(B).key("k").version_id(unknown).send().await;
    assert_eq!((status(&got), code(&got).as_str()), (404, "NoSuchVersion"));
    let head = s3.head_object().bucket(B).key("k").version_id(unknown).send().await;
    assert_eq!(status(&head), 404);
    let tags = s3
        .get_object_tagging()
        .bucket(B)
        .key("k")
        .version_id(unknown)
        .send()
        .await;
    assert_eq!((status(&tags), code(&tags).as_str()), (404, "NoSuchVersion"));
    let retag = s3
        .put_object_tagging()
        .bucket(B)
        .key("k")
        .version_id(unknown)
        .tagging(tagging(&[("a", "b")]))
        .send()
        .await;
    assert_eq!((status(&retag), code(&retag).as_str()), (404, "NoSuchVersion"));

    for malformed in [
        "nope",
        "IYV3p45BT0ac8hjHg1houSdS1a+Mro8e",
        "IYV3p45BT0ac8hjHg1houSdS1a.Mro8eX",
    ] {
        let got = s3.get_object().bucket(B).key("k").version_id(malformed).send().await;
        assert_eq!(
            (status(&got), code(&got).as_str()),
            (400, "InvalidArgument"),
            "{malformed}"
        );
        let head = s3.head_object().bucket(B).key("k").version_id(malformed).send().await;
        assert_eq!(status(&head), 400, "{malformed}");
        let delete = s3.delete_object().bucket(B).key("k").version_id(malformed).send().await;
        assert_eq!((status(&delete), code(&delete).as_str()), (400, "InvalidArgument"));
    }
    // Deleting a version the key does not hold changes nothing and succeeds.
    s3.delete_object()
        .bucket(B)
        .key("k")
        .version_id(unknown)
        .send()
        .await
        .unwrap();
    assert_eq!(get(&s3, "k", None).await.0, "x");
}

#[tokio::test]
async fn ranges_and_if_match_read_the_version_named() {
    let emulator = start().await;
    let s3 = s3(&emulator);
    versioned_bucket(&s3).await;
    let (etag1, v1) = put(&s3, B, "k", "0123456789").await;
    let (etag2, _) = put(&s3, B, "k", "abcdefghij").await;
    let v1 = v1.unwrap();

    let range = s3
        .get_object()
        .bucket(B)
        .key("k")
        .version_id(&v1)
        .range("bytes=2-5")
        .if_match(&etag1)
        .send()
        .await
        .expect("a ranged GET of the older version");
    assert_eq!(range.content_length(), Some(4));
    assert_eq!(range.content_range(), Some("bytes 2-5/10"));
    assert_eq!(range.body.collect().await.unwrap().into_bytes().as_ref(), b"2345");

    let stale = s3
        .get_object()
        .bucket(B)
        .key("k")
        .version_id(&v1)
        .if_match(&etag2)
        .send()
        .await;
    assert_eq!((status(&stale), code(&stale).as_str()), (412, "PreconditionFailed"));
    let head = s3
        .head_object()
        .bucket(B)
        .key("k")
        .version_id(&v1)
        .if_match(&etag2)
        .send()
        .await;
    assert_eq!(status(&head), 412);
}

#[tokio::test]
async fn a_delete_without_a_version_adds_a_marker_and_keeps_every_version() {
    let emulator = start().await;
    let s3 = s3(&emulator);
    versioned_bucket(&s3).await;
    let (_, v1) = put(&s3, B, "k", "one").await;
    let v1 = v1.unwrap();

    let deleted = s3
        .delete_object()
        .bucket(B)
        .key("k")
        .send()
        .await
        .expect("DeleteObject");
    assert_eq!(deleted.delete_marker(), Some(true));
    let marker = deleted.version_id().expect("the marker's id").to_owned();
    assert_ne!(marker, v1);

    let gone = s3.get_object().bucket(B).key("k").send().await;
    assert_eq!((status(&gone), code(&gone).as_str()), (404, "NoSuchKey"));
    let gone = s3.head_object().bucket(B).key("k").send().await;
    assert_eq!(status(&gone), 404);
    let objects = s3.list_objects_v2().bucket(B).send().await.unwrap();
    assert!(objects.contents().is_empty(), "{objects:?}");
    assert_eq!(get(&s3, "k", Some(&v1)).await.0, "one");
    assert_eq!(
        versions(&s3, B, "").await,
        [format!("k@{v1}"), format!("k@{marker} (marker)*")]
    );
    // A delete marker has no data: asking for it by id is not allowed.
    let marker_get = s3.get_object().bucket(B).key("k").version_id(&marker).send().await;
    assert_eq!(
        (status(&marker_get), code(&marker_get).as_str()),
        (405, "MethodNotAllowed")
    );

    // Deleting the marker brings the object back.
    let undeleted = s3
        .delete_object()
        .bucket(B)
        .key("k")
        .version_id(&marker)
        .send()
        .await
        .unwrap();
    assert_eq!(undeleted.delete_marker(), Some(true));
    assert_eq!(undeleted.version_id(), Some(marker.as_str()));
    assert_eq!(get(&s3, "k", None).await, ("one".into(), Some(v1)));
}

#[tokio::test]
async fn a_delete_with_a_version_removes_only_that_version() {
    let emulator = start().await;
    let s3 = s3(&emulator);
    versioned_bucket(&s3).await;
    let mut ids = Vec::new();
    for body in ["one", "two", "three"] {
        ids.push(put(&s3, B, "k", body).await.1.unwrap());
    }

    let out = s3
        .delete_object()
        .bucket(B)
        .key("k")
        .version_id(&ids[0])
        .send()
        .await
        .unwrap();
    assert_eq!((out.version_id(), out.delete_marker()), (Some(ids[0].as_str()), None));
    let gone = s3.get_object().bucket(B).key("k").version_id(&ids[0]).send().await;
    assert_eq!((status(&gone), code(&gone).as_str()), (404, "NoSuchVersion"));
    assert_eq!(get(&s3, "k", None).await.0, "three");

    // The current version goes: the one before it is current again, and no marker is made.
    s3.delete_object()
        .bucket(B)
        .key("k")
        .version_id(&ids[2])
        .send()
        .await
        .unwrap();
    assert_eq!(get(&s3, "k", None).await, ("two".into(), Some(ids[1].clone())));
    assert_eq!(versions(&s3, B, "").await, [format!("k@{}*", ids[1])]);
    s3.delete_object()
        .bucket(B)
        .key("k")
        .version_id(&ids[1])
        .send()
        .await
        .unwrap();
    assert_eq!(versions(&s3, B, "").await, Vec::<String>::new());
    let gone = s3.get_object().bucket(B).key("k").send().await;
    assert_eq!((status(&gone), code(&gone).as_str()), (404, "NoSuchKey"));
}

#[tokio::test]
async fn each_version_has_its_own_tags() {
    let emulator = start().await;
    let s3 = s3(&emulator);
    versioned_bucket(&s3).await;
    let put_tagged = |body: &'static str, tags: &'static str| {
        let s3 = s3.clone();
        async move {
            let out = s3
                .put_object()
                .bucket(B)
                .key("k")
                .tagging(tags)
                .body(ByteStream::from_static(body.as_bytes()))
                .send()
                .await
                .unwrap();
            out.version_id.unwrap()
        }
    };
    let v1 = put_tagged("one", "n=1").await;
    let v2 = put_tagged("two", "n=2").await;
    let tags_of = |version: Option<String>| {
        let s3 = s3.clone();
        async move {
            let out = s3
                .get_object_tagging()
                .bucket(B)
                .key("k")
                .set_version_id(version)
                .send()
                .await
                .unwrap();
            let tags: Vec<String> = out
                .tag_set()
                .iter()
                .map(|t| format!("{}={}", t.key(), t.value()))
                .collect();
            (tags, out.version_id)
        }
    };
    assert_eq!(tags_of(Some(v1.clone())).await, (vec!["n=1".into()], Some(v1.clone())));
    assert_eq!(tags_of(None).await, (vec!["n=2".into()], Some(v2.clone())));

    let out = s3
        .put_object_tagging()
        .bucket(B)
        .key("k")
        .version_id(&v1)
        .tagging(tagging(&[("outcome", "Succeeded")]))
        .send()
        .await
        .unwrap();
    assert_eq!(out.version_id(), Some(v1.as_str()));
    assert_eq!(tags_of(Some(v1.clone())).await.0, ["outcome=Succeeded"]);
    assert_eq!(tags_of(None).await.0, ["n=2"], "the current version keeps its tags");
    assert_eq!(emulator.object_tags(B, "k"), Some(vec![("n".into(), "2".into())]));

    // The tags go with the version: the older one current again has its own.
    s3.delete_object()
        .bucket(B)
        .key("k")
        .version_id(&v2)
        .send()
        .await
        .unwrap();
    assert_eq!(tags_of(None).await, (vec!["outcome=Succeeded".into()], Some(v1)));

    let marker = s3.delete_object().bucket(B).key("k").send().await.unwrap();
    let marker_tags = s3
        .get_object_tagging()
        .bucket(B)
        .key("k")
        .version_id(marker.version_id().unwrap())
        .send()
        .await;
    assert_eq!(status(&marker_tags), 405);
}

#[tokio::test]
async fn conditional_writes_test_the_current_version() {
    let emulator = start().await;
    let s3 = s3(&emulator);
    versioned_bucket(&s3).await;
    let create = |body: &'static str| {
        s3.put_object()
            .bucket(B)
            .key("state.json")
            .if_none_match("*")
            .body(ByteStream::from_static(body.as_bytes()))
            .send()
    };
    let first = create("1").await.expect("the first create-only put");
    let again = create("2").await;
    assert_eq!((status(&again), code(&again).as_str()), (412, "PreconditionFailed"));

    let stale_etag = first.e_tag().unwrap().to_owned();
    let replaced = s3
        .put_object()
        .bucket(B)
        .key("state.json")
        .if_match(&stale_etag)
        .body(ByteStream::from_static(b"3"))
        .send()
        .await
        .expect("a put over the ETag read");
    let stale = s3
        .put_object()
        .bucket(B)
        .key("state.json")
        .if_match(&stale_etag)
        .body(ByteStream::from_static(b"4"))
        .send()
        .await;
    assert_eq!((status(&stale), code(&stale).as_str()), (412, "PreconditionFailed"));

    // A conditional delete adds a marker over the version it names by ETag; after it, the key
    // holds nothing: If-Match finds no object, If-None-Match creates again.
    let not_ours = s3
        .delete_object()
        .bucket(B)
        .key("state.json")
        .if_match(&stale_etag)
        .send()
        .await;
    assert_eq!(status(&not_ours), 412);
    let ours = s3
        .delete_object()
        .bucket(B)
        .key("state.json")
        .if_match(replaced.e_tag().unwrap())
        .send()
        .await
        .expect("a delete of the ETag read");
    assert_eq!(ours.delete_marker(), Some(true));
    let after = s3
        .delete_object()
        .bucket(B)
        .key("state.json")
        .if_match(replaced.e_tag().unwrap())
        .send()
        .await;
    assert_eq!(status(&after), 404);
    create("5").await.expect("a create-only put over a delete marker");
    assert_eq!(versions(&s3, B, "state.json").await.len(), 4, "1, 3, the marker and 5");
}

#[tokio::test]
async fn a_suspended_bucket_writes_null_versions_and_keeps_the_others() {
    let emulator = start().await;
    let s3 = s3(&emulator);
    versioned_bucket(&s3).await;
    let (_, v1) = put(&s3, B, "k", "kept").await;
    let v1 = v1.unwrap();
    set_versioning(&s3, B, BucketVersioningStatus::Suspended).await;
    let status = s3.get_bucket_versioning().bucket(B).send().await.unwrap();
    assert_eq!(status.status(), Some(&BucketVersioningStatus::Suspended));

    assert_eq!(put(&s3, B, "k", "a").await.1.as_deref(), Some("null"));
    assert_eq!(put(&s3, B, "k", "b").await.1.as_deref(), Some("null"));
    assert_eq!(versions(&s3, B, "").await, ["k@null*".to_string(), format!("k@{v1}")]);
    assert_eq!(get(&s3, "k", Some("null")).await.0, "b");

    let marker = s3.delete_object().bucket(B).key("k").send().await.unwrap();
    assert_eq!(marker.version_id(), Some("null"));
    assert_eq!(
        versions(&s3, B, "").await,
        [format!("k@{v1}"), "k@null (marker)*".to_string()]
    );
    assert_eq!(get(&s3, "k", Some(&v1)).await.0, "kept");
}

#[tokio::test]
async fn list_object_versions_filters_by_prefix_and_pages() {
    let emulator = start().await;
    let s3 = s3(&emulator);
    versioned_bucket(&s3).await;
    for key in ["a/1", "a/1", "a/2", "b/1"] {
        put(&s3, B, key, key).await;
    }
    s3.delete_object().bucket(B).key("a/2").send().await.unwrap();

    let under_a = versions(&s3, B, "a/").await;
    assert_eq!(under_a.len(), 4, "{under_a:?}");
    assert!(under_a.iter().all(|v| v.starts_with("a/")), "{under_a:?}");

    let mut seen = Vec::new();
    let (mut key_marker, mut version_marker) = (None::<String>, None::<String>);
    loop {
        let page = s3
            .list_object_versions()
            .bucket(B)
            .max_keys(2)
            .set_key_marker(key_marker.clone())
            .set_version_id_marker(version_marker.clone())
            .send()
            .await
            .unwrap();
        let n = page.versions().len() + page.delete_markers().len();
        assert!(n <= 2, "{page:?}");
        seen.extend(page.versions().iter().map(|v| v.version_id().unwrap().to_owned()));
        seen.extend(page.delete_markers().iter().map(|v| v.version_id().unwrap().to_owned()));
        if page.is_truncated() != Some(true) {
            break;
        }
        key_marker = page.next_key_marker().map(str::to_owned);
        version_marker = page.next_version_id_marker().map(str::to_owned);
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 5, "four versions and a marker, each once");

    let with_delimiter = s3.list_object_versions().bucket(B).delimiter("/").send().await.unwrap();
    let prefixes: Vec<&str> = with_delimiter
        .common_prefixes()
        .iter()
        .filter_map(|p| p.prefix())
        .collect();
    assert_eq!(prefixes, ["a/", "b/"]);
}

#[tokio::test]
async fn concurrent_puts_to_one_key_keep_every_version_whole() {
    let emulator = start().await;
    let s3 = s3(&emulator);
    versioned_bucket(&s3).await;
    let puts = (0..12).map(|i| {
        let s3 = s3.clone();
        tokio::spawn(async move {
            let body = format!("writer {i}");
            (put(&s3, B, "k", &body).await.1.unwrap(), body)
        })
    });
    let written: Vec<(String, String)> = futures::future::join_all(puts)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(versions(&s3, B, "").await.len(), 12);
    for (id, body) in &written {
        assert_eq!(&get(&s3, "k", Some(id)).await.0, body);
    }
}

#[tokio::test]
async fn copies_and_batch_deletes_make_versions_too() {
    let emulator = start().await;
    let s3 = s3(&emulator);
    versioned_bucket(&s3).await;
    put(&s3, B, "src", "source").await;
    let (_, old) = put(&s3, B, "dst", "old").await;
    let copied = s3
        .copy_object()
        .bucket(B)
        .key("dst")
        .copy_source(format!("{B}/src"))
        .send()
        .await
        .expect("CopyObject");
    let new = copied.version_id().expect("the copy's version id").to_owned();
    assert_eq!(get(&s3, "dst", None).await, ("source".into(), Some(new)));
    assert_eq!(get(&s3, "dst", old.as_deref()).await.0, "old");

    let batch = Delete::builder()
        .objects(ObjectIdentifier::builder().key("src").build().unwrap())
        .objects(
            ObjectIdentifier::builder()
                .key("dst")
                .version_id(old.clone().unwrap())
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let out = s3
        .delete_objects()
        .bucket(B)
        .delete(batch)
        .send()
        .await
        .expect("DeleteObjects");
    assert_eq!(out.deleted().len(), 2, "{out:?}");
    assert!(out.errors().is_empty(), "{out:?}");
    let src = s3.get_object().bucket(B).key("src").send().await;
    assert_eq!(status(&src), 404);
    let old_gone = s3.get_object().bucket(B).key("dst").set_version_id(old).send().await;
    assert_eq!(code(&old_gone), "NoSuchVersion");
    assert_eq!(get(&s3, "dst", None).await.0, "source");
}

#[tokio::test]
async fn an_unversioned_bucket_knows_only_the_null_version() {
    let emulator = start().await;
    let s3 = s3(&emulator);
    bucket(&s3, "plain").await;
    assert_eq!(put(&s3, "plain", "k", "x").await.1, None);
    let head = s3
        .head_object()
        .bucket("plain")
        .key("k")
        .version_id("null")
        .send()
        .await
        .unwrap();
    assert_eq!(head.version_id(), None);
    let other = s3
        .head_object()
        .bucket("plain")
        .key("k")
        .version_id("IYV3p45BT0ac8hjHg1houSdS1a.Mro8e")
        .send()
        .await;
    assert_eq!(status(&other), 400);
    assert_eq!(versions(&s3, "plain", "").await, ["k@null*"]);
    s3.delete_object()
        .bucket("plain")
        .key("k")
        .version_id("null")
        .send()
        .await
        .unwrap();
    let gone = s3.get_object().bucket("plain").key("k").send().await;
    assert_eq!(code(&gone), "NoSuchKey");

    let missing = s3.get_bucket_versioning().bucket("no-such-bucket").send().await;
    assert_eq!((status(&missing), code(&missing).as_str()), (404, "NoSuchBucket"));
    let missing = s3
        .put_bucket_versioning()
        .bucket("no-such-bucket")
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await;
    assert_eq!(status(&missing), 404);

    // A bucket deleted and made again starts unversioned, without the old versions.
    versioned_bucket(&s3).await;
    put(&s3, B, "k", "1").await;
    put(&s3, B, "k", "2").await;
    s3.delete_bucket().bucket(B).send().await.unwrap();
    bucket(&s3, B).await;
    let status = s3.get_bucket_versioning().bucket(B).send().await.unwrap();
    assert_eq!(status.status(), None);
    assert_eq!(versions(&s3, B, "").await, Vec::<String>::new());
}
