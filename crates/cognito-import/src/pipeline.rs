//! One dropped object, start to finish, in this order:
//!
//! 1. **filter** — only `.csv` keys under the drop prefix; never the function's own output;
//! 2. **pin** — HeadObject of the version the event names (versionId, or If-Match on its ETag);
//! 3. **claim** — the ledger's conditional write: one invocation per object version;
//! 4. **check** — the pool's rules, then the whole object in one streaming pass; problems → a
//!    report and no job;
//! 5. **create** — CreateUserImportJob, named after the file;
//! 6. **upload** — the pinned version streamed to the pre-signed URL; transient failures retried
//!    while the URL lives, else one fresh job — a job is never started twice for one object;
//! 7. **start** — StartUserImportJob; if another job is active, the record says Queued.

use std::time::Duration;

use aws_sdk_s3::Client as S3Client;
use aws_sdk_s3::error::DisplayErrorContext;
use aws_sdk_s3::primitives::ByteStream;
use futures::StreamExt;
use serde::Serialize;
use serde_json::json;
use tracing::{Instrument, info, info_span, warn};

use crate::assumptions;
use crate::check::{self, Checker, Problem, Rule, Verdict};
use crate::config::Config;
use crate::event::ObjectRef;
use crate::fetch::{self, FetchError};
use crate::ledger::{Claim, Ledger, LedgerError, Record, Status, now_secs};
use crate::notify::{MetricsSink, Notifier};
use crate::pool::{self, Pool, PoolError};
use crate::spool::Spool;
use crate::upload::{self, UploadError};
use crate::{pass, report, source};

/// Everything one invocation needs: configuration and clients, built once per process.
#[derive(Clone)]
pub struct App {
    pub config: Config,
    pub s3: S3Client,
    pub pool: Pool,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    pub http: reqwest::Client,
    pub ledger: Ledger,
    pub notifier: Notifier,
}

/// The AWS clients an [`App`] uses.
pub struct Clients {
    pub s3: S3Client,
    pub cognito: aws_sdk_cognitoidentityprovider::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    pub sns: aws_sdk_sns::Client,
}

impl App {
    pub fn new(config: Config, clients: Clients) -> App {
        let pool = Pool::new(clients.cognito, &config.user_pool_id, &config.logs_role_arn);
        let ledger = Ledger::new(clients.s3.clone(), &config.state_prefix, config.claim_lease);
        let sns = config.notification_topic_arn.clone().map(|topic| (clients.sns, topic));
        let notifier = Notifier::new(sns, &config.metrics_namespace, MetricsSink::Stdout);
        App {
            http: reqwest::Client::builder()
                .connect_timeout(Duration::from_secs(10))
                // A stalled upload fails (and is retried) instead of running into the function's
                // timeout.
                .read_timeout(Duration::from_secs(60))
                .build()
                .expect("an HTTP client builds"),
            pool,
            ledger,
            logs: clients.logs,
            s3: clients.s3,
            notifier,
            config,
        }
    }
}

/// How one object ended, for the invocation's answer and logs.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case", rename_all_fields = "camelCase")]
pub enum Outcome {
    /// Not an import file (wrong prefix or suffix, or the function's own output).
    Ignored {
        reason: String,
    },
    /// Another invocation has or had this object version.
    Duplicate {
        status: Status,
        job_id: Option<String>,
    },
    /// The object is gone, or changed since its event.
    Missing {
        message: String,
    },
    /// The file breaks Cognito's rules: no job; the report lists every problem.
    Rejected {
        problems: u64,
        report_key: String,
    },
    Started {
        job_id: String,
    },
    Queued {
        job_id: String,
    },
    /// A failure that retrying the invocation may fix (the record allows the retry).
    Failed {
        message: String,
    },
    /// Failed on every allowed take: final, reported, never retried.
    GaveUp {
        message: String,
    },
}

impl Outcome {
    /// Whether the invocation should fail so that the delivery is retried.
    pub fn wants_retry(&self) -> bool {
        matches!(self, Outcome::Failed { .. })
    }
}

/// Why processing stopped early; turned into an `Outcome` at the top.
#[derive(Debug, thiserror::Error)]
enum Stop {
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error(transparent)]
    Pool(#[from] PoolError),
    #[error("{0}")]
    S3(String),
}

/// Runs the whole pipeline for one object, in a span naming it.
pub async fn process(app: &App, object: &ObjectRef) -> Outcome {
    let span = info_span!(
        "object",
        bucket = %object.bucket,
        key = %object.key,
        version = object.version_id.as_deref().unwrap_or("-"),
        job_id = tracing::field::Empty,
    );
    let outcome = run(app, object).instrument(span.clone()).await;
    span.in_scope(|| match &outcome {
        Outcome::Failed { message } => warn!(%message, "object failed"),
        other => info!(outcome = ?other, "object done"),
    });
    outcome
}

fn ignore_reason(config: &Config, bucket: &str, key: &str) -> Option<String> {
    if bucket != config.drop_bucket {
        return Some(format!("not the drop bucket {}", config.drop_bucket));
    }
    if key.starts_with(&config.state_prefix) || key.starts_with(&config.report_prefix) {
        return Some("written by this function".into());
    }
    if !key.starts_with(&config.drop_prefix) {
        return Some(format!("outside the drop prefix {}", config.drop_prefix));
    }
    if !key.to_ascii_lowercase().ends_with(".csv") {
        return Some("not a .csv file".into());
    }
    None
}

async fn run(app: &App, object: &ObjectRef) -> Outcome {
    if let Some(reason) = ignore_reason(&app.config, &object.bucket, &object.key) {
        info!(%reason, "ignored");
        return Outcome::Ignored { reason };
    }
    let (etag, size) = match pin(&app.s3, object).await {
        Ok(Some(found)) => found,
        Ok(None) => return missing(app, object, "the object no longer exists, or changed since its event").await,
        Err(e) => return Outcome::Failed { message: e.to_string() },
    };
    let mut record = Record::new(object, &etag, size);
    let mut record_etag = match app.ledger.claim(&record).await {
        Ok(Claim::Won(claimed, etag)) => {
            record = *claimed;
            etag
        }
        Ok(Claim::Taken(existing)) if matches!(existing.status, Status::Failed | Status::Missing) => {
            // Nothing was imported for it: a new delivery retries it.
            match retake(app, &existing).await {
                Ok(Some((taken, etag))) => {
                    record = taken;
                    etag
                }
                Ok(None) => {
                    return Outcome::Duplicate {
                        status: existing.status,
                        job_id: existing.job_id,
                    };
                }
                Err(e) => return Outcome::Failed { message: e.to_string() },
            }
        }
        Ok(Claim::Taken(existing)) => {
            info!(status = ?existing.status, "already claimed");
            return Outcome::Duplicate {
                status: existing.status,
                job_id: existing.job_id,
            };
        }
        Err(e) => return Outcome::Failed { message: e.to_string() },
    };
    match import(app, &mut record, &mut record_etag).await {
        Ok(outcome) => outcome,
        Err(stop) => {
            let message = stop.to_string();
            if !matches!(stop, Stop::Ledger(LedgerError::Conflict { .. })) {
                record.message = Some(message.clone());
                if record.attempts >= pass::MAX_ATTEMPTS {
                    return give_up(app, record, &record_etag).await;
                }
                record.status = Status::Failed;
                if let Err(e) = app.ledger.update(&mut record, &record_etag).await {
                    warn!(error = %e, "could not record the failure");
                }
            }
            Outcome::Failed { message }
        }
    }
}

/// Closes a record that failed on every one of its takes: final, reported, never retried.
pub async fn give_up(app: &App, mut record: Record, etag: &str) -> Outcome {
    record.status = Status::GaveUp;
    let message = format!(
        "gave up after {} attempts; the last: {}",
        record.attempts,
        record.message.as_deref().unwrap_or("(no message)")
    );
    record.message = Some(message.clone());
    if let Err(e) = app.ledger.update(&mut record, etag).await {
        warn!(error = %e, "could not record giving up");
    }
    warn!(attempts = record.attempts, "giving up on the object");
    app.notifier
        .not_imported(
            app.pool.id(),
            &record.key,
            "GaveUp",
            json!({ "message": message, "jobId": record.job_id }),
        )
        .await;
    Outcome::GaveUp { message }
}

/// Takes a Failed or Missing record back for a new attempt.
async fn retake(app: &App, existing: &Record) -> Result<Option<(Record, String)>, LedgerError> {
    let key = app.ledger.record_key(existing);
    let Some((mut record, etag)) = app.ledger.read(&existing.bucket, &key).await? else {
        return Ok(None);
    };
    if !matches!(record.status, Status::Failed | Status::Missing) {
        return Ok(None);
    }
    record.status = Status::Claimed;
    record.message = None;
    record.attempts += 1;
    match app.ledger.update(&mut record, &etag).await {
        Ok(etag) => Ok(Some((record, etag))),
        Err(LedgerError::Conflict { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The ETag and size of the version the event names; `None` if it is gone or changed.
async fn pin(s3: &S3Client, object: &ObjectRef) -> Result<Option<(String, u64)>, Stop> {
    let mut head = s3.head_object().bucket(&object.bucket).key(&object.key);
    if let Some(v) = &object.version_id {
        head = head.version_id(v);
    } else if let Some(etag) = &object.etag {
        head = head.if_match(format!("\"{etag}\""));
    }
    match head.send().await {
        Ok(out) => {
            let etag = out.e_tag.unwrap_or_default().trim_matches('"').to_owned();
            Ok(Some((etag, out.content_length.unwrap_or(0).max(0) as u64)))
        }
        Err(e)
            if e.raw_response()
                .is_some_and(|r| matches!(r.status().as_u16(), 404 | 412)) =>
        {
            Ok(None)
        }
        Err(e) => Err(Stop::S3(format!("HeadObject failed: {}", DisplayErrorContext(e)))),
    }
}

/// Records a vanished object so that it too ends in a reported state.
async fn missing(app: &App, object: &ObjectRef, message: &str) -> Outcome {
    let tag = object.etag.clone().unwrap_or_else(|| "unknown".into());
    let mut record = Record::new(object, &tag, object.size.unwrap_or(0));
    record.status = Status::Missing;
    record.message = Some(message.to_owned());
    let close = |mut record: Record, etag: String| async move {
        // Nothing was imported and the version is gone: its story ends here.
        record.status = Status::Missing;
        record.message = Some(message.to_owned());
        if let Err(e) = app.ledger.update(&mut record, &etag).await {
            warn!(error = %e, "could not record the missing object");
        }
    };
    match app.ledger.claim(&record).await {
        // A stale claim or upload taken over: it is closed as Missing.
        Ok(Claim::Won(claimed, etag)) if claimed.status != Status::Missing => close(*claimed, etag).await,
        Ok(Claim::Taken(existing)) if existing.status == Status::Failed => {
            let key = app.ledger.record_key(&existing);
            match app.ledger.read(&existing.bucket, &key).await {
                Ok(Some((current, etag))) if current.status == Status::Failed => close(current, etag).await,
                Ok(_) => {}
                Err(e) => warn!(error = %e, "could not record the missing object"),
            }
        }
        // Gone now, but an earlier delivery had it: that is what happened to this version.
        Ok(Claim::Taken(existing)) if existing.status != Status::Missing => {
            return Outcome::Duplicate {
                status: existing.status,
                job_id: existing.job_id,
            };
        }
        Ok(_) => {}
        Err(e) => warn!(error = %e, "could not record the missing object"),
    }
    warn!(message, "object missing");
    Outcome::Missing {
        message: message.to_owned(),
    }
}

/// A GetObject of exactly the claimed version; `None` if it is gone or changed.
pub async fn open_version(s3: &S3Client, record: &Record) -> Result<Option<ByteStream>, String> {
    open(s3, record).await.map_err(|e| e.to_string())
}

/// A GetObject of exactly the claimed version.
async fn open(s3: &S3Client, record: &Record) -> Result<Option<ByteStream>, Stop> {
    let mut get = s3.get_object().bucket(&record.bucket).key(&record.key);
    get = match &record.version_id {
        Some(v) => get.version_id(v),
        None => get.if_match(format!("\"{}\"", record.etag)),
    };
    match get.send().await {
        Ok(out) => Ok(Some(out.body)),
        Err(e)
            if e.raw_response()
                .is_some_and(|r| matches!(r.status().as_u16(), 404 | 412)) =>
        {
            Ok(None)
        }
        Err(e) => Err(Stop::S3(format!("GetObject failed: {}", DisplayErrorContext(e)))),
    }
}

/// Steps 4 to 7 for a claimed object.
async fn import(app: &App, record: &mut Record, etag: &mut String) -> Result<Outcome, Stop> {
    if let Some(previous) = record.job_id.clone() {
        // A retry after a failure that followed CreateUserImportJob. If that job did start (say,
        // StartUserImportJob's answer was lost), it is the import: never start a second one.
        let state = app.pool.describe_job(&previous).await?;
        if !matches!(state.status.as_str(), "Created" | "Expired") {
            record.status = Status::Started;
            record.message = None;
            *etag = app.ledger.update(record, etag).await?;
            info!(job_id = %previous, status = %state.status, "the earlier attempt's job had started");
            return Ok(Outcome::Started { job_id: previous });
        }
        if !record.abandoned_jobs.contains(&previous) {
            record.abandoned_jobs.push(previous);
        }
        record.job_id = None;
    }
    let rules = app.pool.rules(app.config.require_full_header).await?;
    let mut spool = None;
    let verdict = if record.size > check::MAX_BYTES {
        // Cognito refuses it whatever it holds: no need to read it.
        let problem = Problem {
            line: 1,
            column: None,
            rule: Rule::FileTooLarge {
                limit_bytes: check::MAX_BYTES,
            },
        };
        Verdict {
            rows: 0,
            bytes: record.size,
            problems: vec![problem],
            problem_count: 1,
        }
    } else {
        let mut body = fetch::read(&app.s3, record);
        let mut checker = Checker::new(&rules);
        let mut copy = Spool::create();
        while let Some(chunk) = body.next().await {
            let chunk = match chunk {
                Ok(chunk) => chunk,
                Err(FetchError::Gone) => return Ok(settle_missing(app, record, etag).await?),
                Err(e) => return Err(Stop::S3(e.to_string())),
            };
            checker.feed(&chunk);
            if let Some(copy) = copy.as_mut() {
                copy.write(&chunk).await;
            }
        }
        let verdict = checker.finish();
        if verdict.is_clean()
            && let Some(copy) = copy
        {
            spool = copy.finish(record.size).await;
        }
        verdict
    };
    if !verdict.is_clean() {
        let report_key = report::write_rejection(&app.s3, &app.config.report_prefix, app.pool.id(), record, &verdict)
            .await
            .map_err(|e| Stop::S3(e.to_string()))?;
        record.status = Status::Rejected;
        record.report_key = Some(report_key.clone());
        record.message = Some(match verdict.problems.first() {
            Some(first) => format!("{} problem(s); the first: {first}", verdict.problem_count),
            None => format!("{} problem(s)", verdict.problem_count),
        });
        *etag = app.ledger.update(record, etag).await?;
        warn!(problems = verdict.problem_count, report = %report_key, "file rejected");
        source::settle(&app.s3, app.config.source_object_policy, record, "Rejected").await;
        app.notifier
            .not_imported(
                app.pool.id(),
                &record.key,
                "Rejected",
                json!({ "problemCount": verdict.problem_count, "reportKey": report_key }),
            )
            .await;
        return Ok(Outcome::Rejected {
            problems: verdict.problem_count,
            report_key,
        });
    }

    let job_id = deliver(app, record, etag, spool.as_ref()).await?;
    // Start at once if the queue allows: oldest first, one active job per account.
    match pass::start_next(app).await {
        Ok(Some(started)) if started == job_id => Ok(Outcome::Started { job_id }),
        Ok(_) => {
            info!(%job_id, "queued behind other imports; the scheduled pass starts it");
            Ok(Outcome::Queued { job_id })
        }
        Err(e) => {
            warn!(%job_id, error = %e, "could not start at once; the scheduled pass starts it");
            Ok(Outcome::Queued { job_id })
        }
    }
}

/// Creates a job, uploads the claimed version to it and leaves the record Queued; returns the job
/// id. If the URL runs out before an upload gets through, one more job is tried.
async fn deliver(app: &App, record: &mut Record, etag: &mut String, spool: Option<&Spool>) -> Result<String, Stop> {
    let name = pool::job_name(&record.key);
    for _ in 0..2 {
        let job = app.pool.create_job(&name).await?;
        tracing::Span::current().record("job_id", job.id.as_str());
        info!(job_id = %job.id, "import job created");
        record.status = Status::Uploading;
        record.job_id = Some(job.id.clone());
        record.job_name = Some(job.name.clone());
        *etag = app.ledger.update(record, etag).await?;

        match upload_with_retries(app, record, &job, spool).await {
            Ok(()) => {}
            Err(UploadError::Expired) => {
                warn!(job_id = %job.id, "pre-signed URL expired before the upload went through; creating a new job");
                record.abandoned_jobs.push(job.id.clone());
                continue;
            }
            Err(e) => {
                record.abandoned_jobs.push(job.id.clone());
                return Err(Stop::S3(format!("upload to job {} failed: {e}", job.id)));
            }
        }
        info!(job_id = %job.id, bytes = record.size, "file uploaded");
        record.status = Status::Queued;
        record.uploaded_at = Some(now_secs());
        record.message = None;
        *etag = app.ledger.update(record, etag).await?;
        return Ok(job.id);
    }
    Err(Stop::S3(
        "the pre-signed URLs of two jobs expired before the upload went through".into(),
    ))
}

/// A fresh job for a queued object whose job expired before it could start: the old job is
/// abandoned (it never ran) and the pinned version uploaded again. Returns the new job id.
pub async fn redeliver(app: &App, record: &mut Record, etag: &mut String) -> Result<String, String> {
    if let Some(old) = record.job_id.take()
        && !record.abandoned_jobs.contains(&old)
    {
        record.abandoned_jobs.push(old);
    }
    deliver(app, record, etag, None).await.map_err(|e| e.to_string())
}

async fn settle_missing(app: &App, record: &mut Record, etag: &mut String) -> Result<Outcome, LedgerError> {
    let message = "the object changed or was deleted after its event; the new version has its own event";
    record.status = Status::Missing;
    record.message = Some(message.into());
    *etag = app.ledger.update(record, etag).await?;
    warn!(message, "object missing");
    Ok(Outcome::Missing {
        message: message.into(),
    })
}

/// Read size of the spooled copy: large reads keep the socket busy (the default is 4 KiB).
const UPLOAD_READ_BUFFER: usize = 256 * 1024;

/// Uploads the claimed version (from the spool when there is one); retries transient failures
/// with backoff while the URL has time.
async fn upload_with_retries(
    app: &App,
    record: &Record,
    job: &pool::NewJob,
    spool: Option<&Spool>,
) -> Result<(), UploadError> {
    let mut delay = Duration::from_millis(500);
    let mut attempt = 1;
    loop {
        let left = assumptions::UPLOAD_URL_LIFETIME.saturating_sub(job.created.elapsed());
        if left < assumptions::UPLOAD_URL_MARGIN {
            return Err(UploadError::Expired);
        }
        let body = match spool {
            Some(spool) => ByteStream::read_from()
                .path(spool.path())
                .buffer_size(UPLOAD_READ_BUFFER)
                .build()
                .await
                .map_err(|e| UploadError::Transient(format!("reading the spooled copy: {e}")))?,
            None => match open(&app.s3, record).await {
                Ok(Some(body)) => body,
                Ok(None) => {
                    return Err(UploadError::Refused {
                        status: 412,
                        code: "the object changed during the import".into(),
                    });
                }
                Err(e) => return Err(UploadError::Transient(e.to_string())),
            },
        };
        match upload::put(&app.http, &job.presigned_url, body, record.size).await {
            Ok(()) => return Ok(()),
            Err(e) if e.is_transient() && attempt < app.config.upload_attempts => {
                warn!(attempt, error = %e, "upload failed; trying again");
                tokio::time::sleep(delay).await;
                delay *= 2;
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config::from_lookup(|n| match n {
            "USER_POOL_ID" => Some("us-east-1_Abc".into()),
            "CLOUDWATCH_LOGS_ROLE_ARN" => Some("arn:aws:iam::111111111111:role/R".into()),
            "DROP_BUCKET" => Some("drops".into()),
            _ => None,
        })
        .unwrap()
    }

    #[test]
    fn only_csv_files_under_the_drop_prefix_are_imported() {
        let c = config();
        assert_eq!(ignore_reason(&c, "drops", "incoming/users.csv"), None);
        assert_eq!(ignore_reason(&c, "drops", "incoming/sub/Users.CSV"), None);
        assert_eq!(
            ignore_reason(&c, "drops", "incoming/users.txt").as_deref(),
            Some("not a .csv file")
        );
        assert_eq!(
            ignore_reason(&c, "drops", "elsewhere/users.csv").as_deref(),
            Some("outside the drop prefix incoming/")
        );
        assert_eq!(
            ignore_reason(&c, "drops", "import-state/incoming/users.csv@v.json").as_deref(),
            Some("written by this function")
        );
        assert_eq!(
            ignore_reason(&c, "drops", "import-reports/x.csv").as_deref(),
            Some("written by this function")
        );
    }
}
