//! Per-key locks: the writes to one key run one at a time, which makes s3s-fs's check-then-write
//! conditional writes atomic.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// One object: bucket and key.
type ObjectId = (String, String);

/// Per-key locks, created on demand and dropped when nobody holds them.
#[derive(Default)]
pub(super) struct KeyLocks {
    locks: Mutex<HashMap<ObjectId, Arc<tokio::sync::Mutex<()>>>>,
}

impl KeyLocks {
    pub(super) async fn run<T>(&self, bucket: &str, key: &str, f: impl Future<Output = T>) -> T {
        let id = (bucket.to_owned(), key.to_owned());
        let lock = Arc::clone(self.locks.lock().unwrap().entry(id.clone()).or_default());
        let out = {
            let _guard = lock.lock().await;
            f.await
        };
        let mut locks = self.locks.lock().unwrap();
        // Two references left: the map's and ours. Nobody else waits, so the entry can go.
        if Arc::strong_count(&lock) == 2 {
            locks.remove(&id);
        }
        out
    }
}
