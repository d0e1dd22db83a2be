//! The pure core: what the function knows and decides, with no I/O. Everything above calls into
//! it; it calls nothing above.

pub mod assumptions;
pub mod config;
pub mod event;
pub mod job;
pub mod joblog;
pub mod metrics;
pub mod outcome;
pub mod pass_report;
pub mod record;
pub mod report;
