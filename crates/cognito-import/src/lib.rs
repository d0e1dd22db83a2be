//! Drop a CSV in S3, get a finished Amazon Cognito user import job.
//!
//! The layers, each calling only the ones below it:
//!
//! - [`handler`] — the Lambda entry point: a trigger (S3, EventBridge, SQS, schedule, direct) to
//!   the flows, and the answer;
//! - [`flow`] — the use cases: [`flow::import`] one object to a queued job, [`flow::queue`] the
//!   oldest job started, [`flow::track`] a finished job closed, [`flow::pass`] the scheduled pass;
//! - [`app`] — configuration and clients, built once;
//! - [`adapters`] — I/O: S3 compare-and-swap ([`adapters::s3cas`]) under the ledger and the queue
//!   lock, the dropped object, the pool, the job log, the upload, the spool, reports, notify;
//! - [`domain`] and [`check`] — pure: the record's lifecycle, job statuses, events, config,
//!   reports, metrics, and Cognito's CSV rules, checked in one streaming pass;
//! - [`logging`] — logs as Lambda's logging controls ask.

pub mod adapters;
pub mod app;
pub mod check;
pub mod domain;
pub mod flow;
pub mod handler;
pub mod logging;
