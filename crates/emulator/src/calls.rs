//! How many requests of each operation the emulator served, for cost benchmarks: counted once per
//! request at the server's dispatch, answered or refused alike (a throttled or unsigned call still
//! reached the service).
//!
//! A call is named `<service>:<operation>`: `cognito-idp:` and `logs:` with the `X-Amz-Target`
//! operation, `sns:` with the Query `Action`, `s3:` with the operation as s3s names it
//! (`s3:PutObject`), and every PUT to a pre-signed import URL as [`PRESIGNED_UPLOAD`].

use std::collections::BTreeMap;
use std::sync::Mutex;

/// The name of the PUTs to pre-signed import URLs (Cognito's bucket, not the caller's).
pub const PRESIGNED_UPLOAD: &str = "upload:PreSignedPut";

/// An S3 request s3s refused before naming its operation (a bad signature, an unknown route).
pub const S3_UNRESOLVED: &str = "s3:Unresolved";

/// A JSON call whose `X-Amz-Target` names no service of the emulator.
pub const UNKNOWN_TARGET: &str = "json:UnknownTarget";

/// An SNS call whose `Action` could not be read (none given, or a body too large to read).
pub const SNS_UNNAMED: &str = "sns:Unnamed";

/// Per-call counts.
#[derive(Default)]
pub struct Calls {
    counts: Mutex<BTreeMap<String, u64>>,
}

impl Calls {
    /// Counts one call of `service:operation`.
    pub fn count(&self, service: &str, operation: &str) {
        self.count_name(&format!("{service}:{operation}"));
    }

    /// Counts one call already named `service:operation`.
    pub fn count_name(&self, name: &str) {
        let mut counts = self.counts.lock().unwrap();
        match counts.get_mut(name) {
            Some(n) => *n += 1,
            None => {
                counts.insert(name.to_owned(), 1);
            }
        }
    }

    /// The counts so far, by call name.
    pub fn snapshot(&self) -> BTreeMap<String, u64> {
        self.counts.lock().unwrap().clone()
    }

    /// Forgets every count.
    pub fn reset(&self) {
        self.counts.lock().unwrap().clear();
    }
}
