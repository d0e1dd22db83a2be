//! Drop a CSV in S3, get a finished Amazon Cognito user import job.
//!
//! The pipeline, module by module:
//!
//! - [`event`] — which objects a trigger names (S3, EventBridge, SQS, direct invocation);
//! - [`ledger`] — the per-object state record that makes each version import exactly once;
//! - [`fetch`] — the pinned version read as parallel ranged GETs, in order;
//! - [`check`] — Cognito's CSV rules, checked in one streaming pass before any job is spent;
//! - [`pool`] — the user pool's rules and its import jobs;
//! - [`spool`] — a local copy of the checked bytes, so S3 is read once;
//! - [`upload`] — the object streamed to the job's pre-signed URL;
//! - [`pipeline`] — one object through all of the above, in order, to a started or queued job;
//! - [`pass`] — the scheduled pass: queued jobs started one at a time, under the [`lock`];
//!   started jobs followed to their end;
//! - [`track`] — a finished job closed: its log ([`joblog`]) joined to the rows in [`report`]s,
//!   [`notify`] (SNS, EMF metrics), the [`source`] object kept, tagged or deleted;
//! - [`handler`] — the Lambda entry point over every trigger.
//!
//! [`config`] reads the environment; [`assumptions`] names what AWS does not document; [`clients`]
//! builds the AWS clients; [`synth`] makes realistic test files; `local` runs it all on the
//! embedded stand-in (feature `local`).

pub mod assumptions;
pub mod check;
pub mod clients;
pub mod config;
pub mod event;
pub mod fetch;
pub mod handler;
pub mod joblog;
pub mod ledger;
pub mod lock;
pub mod notify;
pub mod pass;
pub mod pipeline;
pub mod pool;
pub mod report;
pub mod source;
pub mod spool;
pub mod track;
pub mod upload;
