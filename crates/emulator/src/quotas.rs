//! Cognito's request rate quotas for the import operations (reference, "Limits and quotas"), so that
//! callers meet throttling where AWS would throttle them:
//!
//! - each import operation at most [`PER_POOL_PER_OPERATION`] requests a second per user pool;
//! - CreateUserImportJob, StartUserImportJob and StopUserImportJob share the account's
//!   `UserPoolResourceUpdate` category, [`RESOURCE_UPDATE`] a second;
//! - DescribeUserImportJob, ListUserImportJobs and GetCSVHeader share `UserPoolResourceRead`,
//!   [`RESOURCE_READ`] a second.
//!
//! Each limit is a token bucket that refills at its rate and holds at most its burst
//! ([`assumptions::QUOTA_BURST_SECONDS`]: the burst is the rate). A request is let through when every bucket it draws on
//! holds a token, and then takes one from each; otherwise it is answered TooManyRequestsException,
//! as the `Throttle` fault answers, and takes nothing ([`assumptions::THROTTLED_REQUEST_TAKES_NO_TOKEN`]).
//! Only the six import operations are limited ([`assumptions::QUOTAS_LIMIT_IMPORT_OPERATIONS_ONLY`]).
//! `EmulatorConfig::cognito_quotas` switches all of it off.
//!
//! The refused requests are counted by operation (`Emulator::throttled`), named as the call counts
//! name them (`cognito-idp:DescribeUserImportJob`).

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::Instant;

use crate::assumptions;
use crate::json::ApiError;

/// Requests a second of one import operation on one user pool.
pub const PER_POOL_PER_OPERATION: f64 = 5.0;
/// Requests a second of CreateUserImportJob, StartUserImportJob and StopUserImportJob together, per
/// account (the `UserPoolResourceUpdate` category).
pub const RESOURCE_UPDATE: f64 = 15.0;
/// Requests a second of DescribeUserImportJob, ListUserImportJobs and GetCSVHeader together, per
/// account (the `UserPoolResourceRead` category).
pub const RESOURCE_READ: f64 = 20.0;

/// The account-wide categories of the import operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Category {
    /// `UserPoolResourceUpdate`: Create/Start/StopUserImportJob.
    ResourceUpdate,
    /// `UserPoolResourceRead`: Describe/ListUserImportJobs, GetCSVHeader.
    ResourceRead,
}

impl Category {
    /// The category of a Cognito operation the quotas limit; `None` for every other operation.
    pub fn of(operation: &str) -> Option<Category> {
        match operation {
            "CreateUserImportJob" | "StartUserImportJob" | "StopUserImportJob" => Some(Category::ResourceUpdate),
            "DescribeUserImportJob" | "ListUserImportJobs" | "GetCSVHeader" => Some(Category::ResourceRead),
            _ => None,
        }
    }

    /// Requests a second the category allows the account.
    pub fn rate(self) -> f64 {
        match self {
            Category::ResourceUpdate => RESOURCE_UPDATE,
            Category::ResourceRead => RESOURCE_READ,
        }
    }
}

/// What a bucket limits.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Limit {
    Category(Category),
    /// (operation, user pool id as the request gave it)
    PoolOperation(String, String),
}

impl Limit {
    fn rate(&self) -> f64 {
        match self {
            Limit::Category(category) => category.rate(),
            Limit::PoolOperation(..) => PER_POOL_PER_OPERATION,
        }
    }
}

/// A token bucket: `tokens` as of `at`, refilling at the limit's rate up to its burst.
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    /// The tokens the bucket holds at `now`.
    fn level(&self, rate: f64, now: Instant) -> f64 {
        let burst = rate * assumptions::QUOTA_BURST_SECONDS;
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        (self.tokens + elapsed * rate).min(burst)
    }
}

#[derive(Default)]
struct State {
    buckets: HashMap<Limit, Bucket>,
    throttled: BTreeMap<String, u64>,
}

/// The request quotas of one emulator (one account).
pub struct Quotas {
    enabled: bool,
    state: Mutex<State>,
}

impl Quotas {
    pub fn new(enabled: bool) -> Quotas {
        Quotas {
            enabled,
            state: Mutex::default(),
        }
    }

    /// Whether the quotas are enforced (`EmulatorConfig::cognito_quotas`).
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// Admits one request of the Cognito `operation` on the pool `pool_id` (as the request named it;
    /// `None` when it named none), or answers TooManyRequestsException and counts it.
    pub fn admit(&self, operation: &str, pool_id: Option<&str>) -> Result<(), ApiError> {
        if !self.enabled {
            return Ok(());
        }
        let Some(category) = Category::of(operation) else {
            return Ok(());
        };
        let mut limits = vec![Limit::Category(category)];
        if let Some(pool) = pool_id {
            limits.push(Limit::PoolOperation(operation.to_owned(), pool.to_owned()));
        }
        let now = Instant::now();
        let mut state = self.state.lock().unwrap();
        let levels: Vec<f64> = limits
            .iter()
            .map(|limit| {
                let rate = limit.rate();
                state
                    .buckets
                    .get(limit)
                    .map_or(rate * assumptions::QUOTA_BURST_SECONDS, |b| b.level(rate, now))
            })
            .collect();
        if levels.iter().any(|&tokens| tokens < 1.0) {
            *state.throttled.entry(format!("cognito-idp:{operation}")).or_default() += 1;
            return Err(throttled());
        }
        for (limit, tokens) in limits.into_iter().zip(levels) {
            state.buckets.insert(
                limit,
                Bucket {
                    tokens: tokens - 1.0,
                    at: now,
                },
            );
        }
        Ok(())
    }

    /// The requests refused so far, by `cognito-idp:<operation>`.
    pub fn throttled(&self) -> BTreeMap<String, u64> {
        self.state.lock().unwrap().throttled.clone()
    }

    /// Forgets the refused requests' counts (the buckets keep their levels).
    pub fn reset_throttled(&self) {
        self.state.lock().unwrap().throttled.clear();
    }
}

/// The answer to a request over a quota: the `Throttle` fault's answer.
pub fn throttled() -> ApiError {
    ApiError::new("TooManyRequestsException", "Rate exceeded")
}
