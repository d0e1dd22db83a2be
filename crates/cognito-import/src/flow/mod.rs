//! The use cases, each over the adapters and the domain:
//!
//! - [`import`] — one dropped object to an uploaded, queued job (or a clear reason why not);
//! - [`queue`] — the oldest queued job started when the account is free (one active job per
//!   account);
//! - [`track`] — a finished job closed: reports, notification, metrics, source object;
//! - [`pass`] — the scheduled pass: jobs tracked, the queue started, dead takes resumed;
//! - [`prepared`] — the bytes a job is given, read again from S3 (for uploads and reports).
//!
//! `pass` calls `import`, `queue` and `track`; nothing calls `pass`, and `import`, `queue` and
//! `track` call no flow.

pub mod import;
pub mod pass;
pub mod prepared;
pub mod queue;
pub mod track;
