//! The ledger: one small JSON state record per dropped object version, in the drop bucket under
//! `STATE_PREFIX`. It makes at-least-once delivery import each version exactly once.
//!
//! The record is created with `If-None-Match: *` (the claim: one invocation wins, every duplicate
//! or concurrent copy of the event sees it taken) and every later change is written with `If-Match`
//! on the record's ETag, so two writers never overwrite each other ([`crate::adapters::s3cas`]). An
//! unfinished record older than the claim lease (its invocation died) may be taken over.
//!
//! ## The index of open records
//!
//! [`Ledger::open_records`] reads only the records that are open (not final): each has a marker
//! ([`crate::adapters::open_index`], which holds the key layout), and the pass lists the markers
//! instead of the records. Finished records cost nothing per pass. The records stay the source of
//! truth: a marker only says "read this record"; a marker whose record turns out final is removed.
//!
//! The one rule: **no record is open without its marker.** A record becomes open only by a write
//! in `Claimed` (a claim; a stale take taken over; a failed, missing or misconfigured one taken
//! again: the lifecycle enters no other open status from a final one, see the test below). So:
//!
//! - a write in `Claimed` writes the marker first (a failed marker write fails the write), and
//!   after it looks that the marker is still there (writing it again if not);
//! - a write of a final record removes the marker after it ("retiring": delete the marker, then
//!   read the record; if it is open again, put the marker back).
//!
//! These two orders make every interleaving safe: a retirer that deletes the marker of a record
//! being opened at the same time either reads the record open afterwards (and puts the marker
//! back), or deleted it before the opener's write, and so before the opener's look. Every crash
//! point heals:
//!
//! - before the claim, after the marker: a marker without a record. The pass leaves it while a
//!   claim may still be in flight (the claim lease), then retires it;
//! - after the claim, before the look: the marker written first is there;
//! - after the final write, before the marker is removed: the pass finds a marker whose record is
//!   final, and retires it;
//! - a retire that dies after the delete: the record is final (or the opener's look restores the
//!   marker);
//! - during the build (below): the `built` object is written last, so the next pass builds again.
//!
//! ## Upgrading
//!
//! A deployment whose records were written by a version without the index has open records
//! without markers. The first [`Ledger::open_records`] that finds no `built` object scans the
//! prefix once, as every pass did before (records written in the last [`RECENT`]), marks the open
//! ones, then writes `built`. An invocation of the previous version still running at the upgrade
//! (up to 15 minutes) may claim an object without a marker after that scan: once that time has
//! passed, one more scan reads the unmarked records written since the build began, marks the open
//! ones and records the index as settled. Both scans run under the queue lock (as every
//! `open_records` does). Rolling back to a version without the index and forward again needs the
//! `built` object deleted first (`<P><P>index/built`), so that the index is built again.

use std::collections::HashSet;
use std::time::Duration;

use aws_sdk_s3::Client;
use tracing::{error, info, warn};

use crate::adapters::open_index::{Built, OpenIndex};
use crate::adapters::s3cas::{self, CasError, Condition, Stamped, Written};
use crate::domain::record::{IllegalMove, Record, Status, now_secs};

impl Stamped for Record {
    fn stamp(&self) -> &str {
        &self.write_id
    }

    fn set_stamp(&mut self, stamp: String) {
        self.write_id = stamp;
    }
}

/// Records unwritten for longer than this are settled: the scan that builds the index does not
/// read them (as the pass did not before the index). The scheduled pass rewrites open records well
/// within it (its heartbeat).
pub const RECENT: Duration = Duration::from_secs(3 * 24 * 3600);

/// A Lambda invocation lives at most this long: after it, no invocation of the version before an
/// upgrade is left.
const INVOCATION_LIMIT: Duration = Duration::from_secs(900);

/// Slack for the clocks of S3 and of the function.
const CLOCK_SLACK: Duration = Duration::from_secs(300);

/// Index objects older than this are written again, so that the bucket's expiry of state objects
/// (`RecordExpirationDays`, at least a day) never removes one still needed.
pub const INDEX_REFRESH: Duration = Duration::from_secs(12 * 3600);

/// Open records with their ETags.
pub type Open = Vec<(Record, String)>;

/// Ledger failures; `Conflict` means another invocation changed the record first.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("state record {key} was changed by another invocation")]
    Conflict { key: String },
    #[error(transparent)]
    S3(#[from] CasError),
    #[error(transparent)]
    Lifecycle(#[from] IllegalMove),
    #[error("{key} lies under the state prefix: it is never imported")]
    Reserved { key: String },
}

/// The result of a claim.
#[derive(Debug)]
pub enum Claim {
    /// This invocation owns the object: the record as it now stands (a stale record taken over
    /// keeps its job id, so the retry asks that job first) and its ETag for the next update.
    Won(Box<Record>, String),
    /// Another invocation owns it (or finished it): its record as it stands.
    Taken(Box<Record>),
}

/// Whether a write of a record in `status` may open it (from nothing, or from a final status).
fn opens(status: Status) -> bool {
    status == Status::Claimed
}

/// The state records of one bucket.
#[derive(Clone)]
pub struct Ledger {
    s3: Client,
    prefix: String,
    lease: Duration,
    index: OpenIndex,
}

impl Ledger {
    pub fn new(s3: Client, prefix: impl Into<String>, lease: Duration) -> Ledger {
        let prefix = prefix.into();
        Ledger {
            index: OpenIndex::new(s3.clone(), &prefix),
            s3,
            prefix,
            lease,
        }
    }

    /// The record's key: readable, next to the others, one per object version.
    pub fn record_key(&self, record: &Record) -> String {
        format!("{}{}@{}.json", self.prefix, record.key, record.version_tag())
    }

    /// The index of open records (its keys, for tests and tools).
    pub fn index(&self) -> &OpenIndex {
        &self.index
    }

    /// Creates the record if nobody has; else takes over a stale unfinished one, or reports it taken.
    pub async fn claim(&self, record: &Record) -> Result<Claim, LedgerError> {
        if record.key.starts_with(&self.prefix) {
            // Its record would lie in the index's part of the prefix.
            return Err(LedgerError::Reserved {
                key: record.key.clone(),
            });
        }
        let key = self.record_key(record);
        let bucket = &record.bucket;
        let opening = opens(record.status());
        if opening {
            self.index.mark(bucket, &key).await?;
        }
        let (existing, etag) = match s3cas::write(&self.s3, bucket, &key, record, Condition::Absent).await? {
            Written::Ours(etag) => {
                if opening {
                    self.keep_marked(bucket, &key).await?;
                }
                return Ok(Claim::Won(Box::new(record.clone()), etag));
            }
            Written::Theirs(Some(found)) => found,
            // Deleted between our write and read: an operator cleared it; try once more.
            Written::Theirs(None) => return Box::pin(self.claim(record)).await,
        };
        let stale =
            !existing.status().is_settled() && now_secs().saturating_sub(existing.updated_at) > self.lease.as_secs();
        if !stale {
            if opening && existing.status().is_final() {
                // Our marker stands for a finished record.
                self.retire(bucket, &key).await;
            }
            return Ok(Claim::Taken(Box::new(existing)));
        }
        let mut takeover = existing.clone();
        takeover.take_again()?;
        match self.update(&mut takeover, &etag).await {
            Ok(new_etag) => Ok(Claim::Won(Box::new(takeover), new_etag)),
            Err(LedgerError::Conflict { .. }) => Ok(Claim::Taken(Box::new(existing))),
            Err(e) => Err(e),
        }
    }

    /// Writes `record` over the version whose ETag is `etag`; returns the new ETag. A failed
    /// condition is a `Conflict`: someone else changed the record first. Keeps the index: a
    /// record written in `Claimed` is marked first, a final one unmarked after.
    pub async fn update(&self, record: &mut Record, etag: &str) -> Result<String, LedgerError> {
        record.updated_at = now_secs();
        let key = self.record_key(record);
        let opening = opens(record.status());
        if opening {
            self.index.mark(&record.bucket, &key).await?;
        }
        match s3cas::write(&self.s3, &record.bucket, &key, record, Condition::Matches(etag)).await? {
            Written::Ours(etag) => {
                if opening {
                    self.keep_marked(&record.bucket, &key).await?;
                } else if record.status().is_final() {
                    self.retire(&record.bucket, &key).await;
                }
                Ok(etag)
            }
            Written::Theirs(_) => Err(LedgerError::Conflict { key }),
        }
    }

    /// Reads a record and its ETag; `None` if there is none.
    pub async fn read(&self, bucket: &str, key: &str) -> Result<Option<(Record, String)>, LedgerError> {
        Ok(s3cas::read(&self.s3, bucket, key).await?)
    }

    /// Reads `record`'s own record as it stands now.
    pub async fn reread(&self, record: &Record) -> Result<Option<(Record, String)>, LedgerError> {
        self.read(&record.bucket, &self.record_key(record)).await
    }

    /// After a write that opened the record at `key`: its marker, written before, is still there
    /// (a retire running at the same time may have deleted it before our write); else written again.
    ///
    /// A marker that cannot be put back fails the write's caller although the record was written:
    /// the invocation fails, and the delivery's retry, which marks before it claims, heals the
    /// index (the pass then finds the record once its lease has passed). Logged only, the record
    /// would stay open and unseen by every pass.
    async fn keep_marked(&self, bucket: &str, key: &str) -> Result<(), CasError> {
        if let Ok(true) = self.index.is_marked(bucket, key).await {
            return Ok(());
        }
        self.index.mark(bucket, key).await.inspect_err(|e| {
            error!(record = %key, error = %e, "an open state record has no index marker; failing so that a retry marks it");
        })
    }

    /// Removes the marker of the record at `key`, which was final (or absent); if the record is
    /// open again once the marker is gone, the marker goes back, and the record is returned.
    async fn retire(&self, bucket: &str, key: &str) -> Option<(Record, String)> {
        if let Err(e) = self.index.unmark(bucket, key).await {
            warn!(record = %key, error = %e, "could not remove the index marker; the next pass does");
            return None;
        }
        let reopened = match self.read(bucket, key).await {
            Ok(Some((record, etag))) if !record.status().is_final() => Some((record, etag)),
            Ok(_) => return None,
            // Unknown: the marker goes back (the next pass reads the record again).
            Err(e) => {
                warn!(record = %key, error = %e, "could not read the state record after removing its marker");
                None
            }
        };
        if let Err(e) = self.index.mark(bucket, key).await {
            error!(record = %key, error = %e, "an open state record may have lost its index marker");
        }
        reopened
    }

    /// The records that are not final, with their ETags: those the index marks. Markers of final
    /// records, and of absent ones older than the claim lease (a claim may be in flight before
    /// that), are removed; unreadable records are skipped, with a warning. Builds the index first
    /// if there is none (see the module's comment). The caller holds the queue lock.
    pub async fn open_records(&self, bucket: &str) -> Result<Open, LedgerError> {
        self.index_ready(bucket).await?;
        let mut open = Vec::new();
        for marker in self.index.markers(bucket).await? {
            let key = &marker.record_key;
            match self.read(bucket, key).await {
                Ok(Some((record, etag))) if !record.status().is_final() => {
                    if marker.age > INDEX_REFRESH.as_secs()
                        && let Err(e) = self.index.mark(bucket, key).await
                    {
                        warn!(record = %key, error = %e, "could not refresh the index marker");
                    }
                    open.push((record, etag));
                }
                Ok(Some(_)) => open.extend(self.retire(bucket, key).await),
                Ok(None) if marker.age > self.lease.as_secs() => open.extend(self.retire(bucket, key).await),
                Ok(None) => {}
                Err(e) => warn!(record = %key, error = %e, "unreadable state record skipped"),
            }
        }
        Ok(open)
    }

    /// Builds the index if there is none, settles it once the previous version's invocations are
    /// gone, and keeps its `built` object from expiring.
    async fn index_ready(&self, bucket: &str) -> Result<(), LedgerError> {
        let now = now_secs();
        let settle_after = (INVOCATION_LIMIT + CLOCK_SLACK).as_secs();
        match self.index.built(bucket).await? {
            None => {
                let (read, marked) = self.scan(bucket, now.saturating_sub(RECENT.as_secs())).await?;
                let built = Built {
                    built_at: now,
                    settled_at: None,
                    written_at: now_secs(),
                };
                self.index.set_built(bucket, &built).await?;
                info!(read, marked, "built the index of open state records");
            }
            Some(built) if built.settled_at.is_none() && now >= built.built_at + settle_after => {
                let since = built.built_at.saturating_sub(CLOCK_SLACK.as_secs());
                let (read, marked) = self.scan(bucket, since).await?;
                let settled = Built {
                    settled_at: Some(now_secs()),
                    written_at: now_secs(),
                    ..built
                };
                self.index.set_built(bucket, &settled).await?;
                info!(read, marked, "settled the index of open state records");
            }
            Some(built) if now.saturating_sub(built.written_at) > INDEX_REFRESH.as_secs() => {
                let built = Built {
                    written_at: now,
                    ..built
                };
                self.index.set_built(bucket, &built).await?;
            }
            Some(_) => {}
        }
        Ok(())
    }

    /// Lists the state prefix and marks every open record written at or after `since` (seconds
    /// since the epoch) that has no marker. How many records it read, and marked.
    async fn scan(&self, bucket: &str, since: u64) -> Result<(usize, usize), LedgerError> {
        let listed = self.index.list(bucket, &self.prefix).await?;
        let marked: HashSet<String> = listed
            .iter()
            .filter_map(|(key, _)| self.index.record_key(key))
            .collect();
        let unmarked = listed.iter().filter(|(key, modified)| {
            key.ends_with(".json") && !self.index.is_reserved(key) && *modified >= since as i64 && !marked.contains(key)
        });
        let (mut read, mut newly_marked) = (0, 0);
        for (key, _) in unmarked {
            read += 1;
            match self.read(bucket, key).await {
                Ok(Some((record, _))) if !record.status().is_final() => {
                    self.index.mark(bucket, key).await?;
                    newly_marked += 1;
                }
                Ok(_) => {}
                Err(e) => warn!(record = %key, error = %e, "unreadable state record skipped"),
            }
        }
        Ok((read, newly_marked))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The index rests on this: a record goes from final (or nothing: a claim creates `Claimed`
    /// records) to open only through `Claimed`, the one status whose writes mark it.
    #[test]
    fn a_record_opens_only_through_claimed() {
        for from in Status::ALL.into_iter().filter(|s| s.is_final()) {
            for to in Status::ALL.into_iter().filter(|s| !s.is_final()) {
                if from.can_become(to) {
                    assert!(opens(to), "{from:?} → {to:?} opens a record without marking it");
                }
            }
        }
        assert!(opens(Status::Claimed));
        assert!(Status::ALL.iter().filter(|s| opens(**s)).all(|s| !s.is_final()));
    }

    /// A retire that ran meanwhile removed the marker, and S3 refuses to put it back: the claim
    /// fails (the record would otherwise be open and unseen by every pass).
    #[tokio::test]
    async fn a_claim_whose_marker_cannot_be_put_back_fails_so_that_a_retry_marks_it() {
        use aws_sdk_s3::operation::head_object::HeadObjectError;
        use aws_sdk_s3::operation::put_object::PutObjectOutput;
        use aws_sdk_s3::types::error::NotFound;
        use aws_smithy_mocks::{RuleMode, mock, mock_client};

        let is_marker = |key: Option<&str>| key.is_some_and(|k| k.starts_with("state/state/index/open/"));
        let marked = mock!(Client::put_object)
            .match_requests(move |r| is_marker(r.key()))
            .then_output(|| PutObjectOutput::builder().build());
        let claimed = mock!(Client::put_object)
            .match_requests(|r| r.key().is_some_and(|k| k.ends_with(".json")) && r.if_none_match() == Some("*"))
            .then_output(|| PutObjectOutput::builder().e_tag("\"e1\"").build());
        let unmarked = mock!(Client::head_object)
            .match_requests(move |r| is_marker(r.key()))
            .then_error(|| HeadObjectError::NotFound(NotFound::builder().build()));
        let refused = mock!(Client::put_object)
            .match_requests(move |r| is_marker(r.key()))
            .sequence()
            .http_status(503, None)
            .repeatedly()
            .build();
        let s3 = mock_client!(
            aws_sdk_s3,
            RuleMode::Sequential,
            [&marked, &claimed, &unmarked, &refused]
        );
        let ledger = Ledger::new(s3, "state/", Duration::from_secs(900));
        let object = crate::domain::event::ObjectRef {
            bucket: "b".into(),
            key: "incoming/a.csv".into(),
            version_id: Some("v1".into()),
            etag: None,
            size: None,
        };
        let err = ledger.claim(&Record::new(&object, "e", 1)).await.unwrap_err();
        assert!(
            matches!(&err, LedgerError::S3(CasError::S3 { action: "mark", .. })),
            "{err}"
        );
        assert_eq!(
            (marked.num_calls(), claimed.num_calls(), unmarked.num_calls()),
            (1, 1, 1)
        );
        assert!(refused.num_calls() >= 1);
    }
}
