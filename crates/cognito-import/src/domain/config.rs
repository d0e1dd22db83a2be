//! The function's configuration: environment variables, read and checked once at start-up.
//!
//! | variable | meaning | default |
//! |---|---|---|
//! | `USER_POOL_ID` | the pool users are imported into | required |
//! | `CLOUDWATCH_LOGS_ROLE_ARN` | the role Cognito assumes to write the job's log | required |
//! | `DROP_BUCKET` | the bucket files are dropped in, and where state and reports live | required |
//! | `DROP_PREFIX` | only keys under it are imported | `incoming/` |
//! | `STATE_PREFIX` | where the state record of each object lives | `import-state/` |
//! | `REPORT_PREFIX` | where reports of rejected files go | `import-reports/` |
//! | `REQUIRE_FULL_HEADER` | the file must hold every GetCSVHeader column (else a partial header is completed) | `false` |
//! | `CSV_DIALECT` | how files are read: `auto` (RFC 4180 when any field is quoted, else Cognito's), `cognito` or `rfc4180` | `auto` |
//! | `PASSWORD_HASHING_ALGORITHM` | the algorithm of every `password_hash` (`BCRYPT`, `SCRYPT`, `ARGON2ID`, `PBKDF2_SHA256`); empty: each file's hashes name it (several: one job per algorithm) | none |
//! | `CLAIM_LEASE_SECONDS` | after this long an unfinished claim may be taken over | `900` |
//! | `UPLOAD_ATTEMPTS` | tries of one upload while its URL is valid | `3` |
//! | `S3_FORCE_PATH_STYLE` | path-style S3 addressing (local endpoints) | `false` |
//! | `NOTIFICATION_TOPIC_ARN` | SNS topic that receives each import's summary | none |
//! | `SOURCE_OBJECT_POLICY` | what happens to a dropped CSV once its import ends: `keep`, `tag` (with the outcome) or `delete` (after success only; it holds personal data) | `keep` |
//! | `METRICS_NAMESPACE` | CloudWatch namespace of the function's EMF metrics | `CognitoImport` |

use std::time::Duration;

use crate::check::{Dialect, HashAlgorithm, Options};

/// Everything the function reads from its environment.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub user_pool_id: String,
    pub logs_role_arn: String,
    pub drop_bucket: String,
    pub drop_prefix: String,
    pub state_prefix: String,
    pub report_prefix: String,
    pub require_full_header: bool,
    pub csv_dialect: Dialect,
    pub password_hashing: Option<HashAlgorithm>,
    pub claim_lease: Duration,
    pub upload_attempts: u32,
    pub s3_force_path_style: bool,
    pub notification_topic_arn: Option<String>,
    pub source_object_policy: SourcePolicy,
    pub metrics_namespace: String,
}

impl Config {
    /// How a dropped file is prepared before its check and upload.
    pub fn prepare_options(&self) -> Options {
        Options {
            dialect: self.csv_dialect,
            complete_header: !self.require_full_header,
            hashing: self.password_hashing,
        }
    }
}

/// What becomes of a dropped CSV when its import has ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourcePolicy {
    /// Leave it (the bucket's lifecycle rules expire it).
    Keep,
    /// Tag the object version with the outcome (`cognito-import-outcome`), for lifecycle rules.
    Tag,
    /// Delete the object version after a Succeeded import; other outcomes keep it and tag it.
    Delete,
}

/// The variables the function reads; the SAM template sets exactly these.
pub const VARIABLES: [&str; 15] = [
    "USER_POOL_ID",
    "CLOUDWATCH_LOGS_ROLE_ARN",
    "DROP_BUCKET",
    "DROP_PREFIX",
    "STATE_PREFIX",
    "REPORT_PREFIX",
    "REQUIRE_FULL_HEADER",
    "CSV_DIALECT",
    "PASSWORD_HASHING_ALGORITHM",
    "CLAIM_LEASE_SECONDS",
    "UPLOAD_ATTEMPTS",
    "S3_FORCE_PATH_STYLE",
    "NOTIFICATION_TOPIC_ARN",
    "SOURCE_OBJECT_POLICY",
    "METRICS_NAMESPACE",
];

/// Every problem found in the environment, so that one deploy fixes them all.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("invalid configuration:\n  - {}", .0.join("\n  - "))]
pub struct ConfigError(pub Vec<String>);

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads variables through `lookup` (tests pass a map instead of the process environment).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let mut problems = Vec::new();
        let get = |name: &str| lookup(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());

        let user_pool_id = get("USER_POOL_ID").unwrap_or_default();
        if !is_pool_id(&user_pool_id) {
            problems.push(format!(
                "USER_POOL_ID must be a user pool id like us-east-1_AbC123xyZ (got {:?})",
                user_pool_id
            ));
        }
        let logs_role_arn = get("CLOUDWATCH_LOGS_ROLE_ARN").unwrap_or_default();
        if !(logs_role_arn.starts_with("arn:") && logs_role_arn.contains(":role/")) {
            problems.push(format!(
                "CLOUDWATCH_LOGS_ROLE_ARN must be an IAM role ARN like arn:aws:iam::123456789012:role/Name (got {:?})",
                logs_role_arn
            ));
        }
        let drop_bucket = get("DROP_BUCKET").unwrap_or_default();
        if !is_bucket_name(&drop_bucket) {
            problems.push(format!(
                "DROP_BUCKET must be the name of the drop bucket (3-63 lowercase letters, digits, '.', '-'; got {drop_bucket:?})"
            ));
        }
        let mut prefix = |name: &str, default: &str| {
            let value = get(name).unwrap_or_else(|| default.to_owned());
            if !value.ends_with('/') {
                problems.push(format!("{name} must end with '/' (got {value:?})"));
            }
            value
        };
        let drop_prefix = prefix("DROP_PREFIX", "incoming/");
        let state_prefix = prefix("STATE_PREFIX", "import-state/");
        let report_prefix = prefix("REPORT_PREFIX", "import-reports/");
        for (name, other) in [("STATE_PREFIX", &state_prefix), ("REPORT_PREFIX", &report_prefix)] {
            if other.starts_with(drop_prefix.as_str()) || drop_prefix.starts_with(other.as_str()) {
                problems.push(format!(
                    "{name} and DROP_PREFIX must not contain each other (the function would read its own output)"
                ));
            }
        }

        let mut flag = |name: &str, default: bool| match get(name).map(|v| v.to_ascii_lowercase()).as_deref() {
            None => default,
            Some("true" | "1" | "yes") => true,
            Some("false" | "0" | "no") => false,
            Some(other) => {
                problems.push(format!("{name} must be true or false (got {other:?})"));
                default
            }
        };
        let require_full_header = flag("REQUIRE_FULL_HEADER", false);
        let s3_force_path_style = flag("S3_FORCE_PATH_STYLE", false);

        let csv_dialect = match get("CSV_DIALECT") {
            None => Dialect::Auto,
            Some(v) => v.parse().unwrap_or_else(|e| {
                problems.push(format!("CSV_DIALECT: {e}"));
                Dialect::Auto
            }),
        };

        let password_hashing = get("PASSWORD_HASHING_ALGORITHM").and_then(|v| {
            let algorithm = HashAlgorithm::from_api_name(&v);
            if algorithm.is_none() {
                problems.push(format!(
                    "PASSWORD_HASHING_ALGORITHM must be BCRYPT, SCRYPT, ARGON2ID, PBKDF2_SHA256 or empty (got {v:?})"
                ));
            }
            algorithm
        });

        let mut number = |name: &str, default: u64, range: std::ops::RangeInclusive<u64>| match get(name) {
            None => default,
            Some(v) => match v.parse::<u64>() {
                Ok(n) if range.contains(&n) => n,
                _ => {
                    problems.push(format!(
                        "{name} must be a whole number from {} to {} (got {v:?})",
                        range.start(),
                        range.end()
                    ));
                    default
                }
            },
        };
        let claim_lease = Duration::from_secs(number("CLAIM_LEASE_SECONDS", 900, 60..=86_400));
        let upload_attempts = number("UPLOAD_ATTEMPTS", 3, 1..=10) as u32;

        let notification_topic_arn = get("NOTIFICATION_TOPIC_ARN");
        if let Some(arn) = &notification_topic_arn
            && !(arn.starts_with("arn:") && arn.split(':').nth(2) == Some("sns") && arn.split(':').count() == 6)
        {
            problems.push(format!(
                "NOTIFICATION_TOPIC_ARN must be an SNS topic ARN like arn:aws:sns:us-east-1:123456789012:Name, or empty (got {arn:?})"
            ));
        }
        let source_object_policy = match get("SOURCE_OBJECT_POLICY").map(|v| v.to_ascii_lowercase()).as_deref() {
            None | Some("keep") => SourcePolicy::Keep,
            Some("tag") => SourcePolicy::Tag,
            Some("delete") => SourcePolicy::Delete,
            Some(other) => {
                problems.push(format!(
                    "SOURCE_OBJECT_POLICY must be keep, tag or delete (got {other:?})"
                ));
                SourcePolicy::Keep
            }
        };
        let metrics_namespace = get("METRICS_NAMESPACE").unwrap_or_else(|| "CognitoImport".into());
        if metrics_namespace.len() > 255 || metrics_namespace.starts_with(':') {
            problems.push(format!(
                "METRICS_NAMESPACE must be a CloudWatch namespace of at most 255 characters (got {metrics_namespace:?})"
            ));
        }

        if !problems.is_empty() {
            return Err(ConfigError(problems));
        }
        Ok(Config {
            user_pool_id,
            logs_role_arn,
            drop_bucket,
            drop_prefix,
            state_prefix,
            report_prefix,
            require_full_header,
            csv_dialect,
            password_hashing,
            claim_lease,
            upload_attempts,
            s3_force_path_style,
            notification_topic_arn,
            source_object_policy,
            metrics_namespace,
        })
    }
}

/// S3's rules for bucket names, in short.
fn is_bucket_name(name: &str) -> bool {
    (3..=63).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        && name.as_bytes()[0].is_ascii_alphanumeric()
        && name.as_bytes()[name.len() - 1].is_ascii_alphanumeric()
}

/// `[\w-]+_[0-9a-zA-Z]+`, at most 55 characters: the API's pattern for pool ids.
fn is_pool_id(id: &str) -> bool {
    id.len() <= 55
        && id.split_once('_').is_some_and(|(region, rest)| {
            !region.is_empty()
                && region
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                && !rest.is_empty()
                && rest.chars().all(|c| c.is_ascii_alphanumeric())
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_lookup(|name| map.get(name).cloned())
    }

    const REQUIRED: [(&str, &str); 3] = [
        ("USER_POOL_ID", "us-east-1_AbC123xyZ"),
        (
            "CLOUDWATCH_LOGS_ROLE_ARN",
            "arn:aws:iam::111111111111:role/CognitoImportLogs",
        ),
        ("DROP_BUCKET", "user-drops"),
    ];

    #[test]
    fn defaults_fill_everything_but_the_pool_role_and_bucket() {
        let c = config(&REQUIRED).unwrap();
        assert_eq!(c.drop_prefix, "incoming/");
        assert_eq!(c.state_prefix, "import-state/");
        assert_eq!(c.report_prefix, "import-reports/");
        assert!(!c.require_full_header, "a partial header is completed by default");
        assert_eq!(c.csv_dialect, Dialect::Auto);
        assert_eq!(
            c.prepare_options(),
            Options {
                dialect: Dialect::Auto,
                complete_header: true,
                hashing: None,
            }
        );
        assert_eq!(c.claim_lease, Duration::from_secs(900));
        assert_eq!(c.upload_attempts, 3);
        assert!(!c.s3_force_path_style);
        assert_eq!(c.notification_topic_arn, None);
        assert_eq!(c.source_object_policy, SourcePolicy::Keep);
        assert_eq!(c.metrics_namespace, "CognitoImport");
    }

    #[test]
    fn topic_and_source_policy_are_checked() {
        let mut vars = REQUIRED.to_vec();
        vars.push(("NOTIFICATION_TOPIC_ARN", "arn:aws:sns:eu-west-1:111111111111:imports"));
        vars.push(("SOURCE_OBJECT_POLICY", "Delete"));
        let c = config(&vars).unwrap();
        assert_eq!(
            c.notification_topic_arn.as_deref(),
            Some("arn:aws:sns:eu-west-1:111111111111:imports")
        );
        assert_eq!(c.source_object_policy, SourcePolicy::Delete);
        let err = config(&[
            REQUIRED[0],
            REQUIRED[1],
            REQUIRED[2],
            ("NOTIFICATION_TOPIC_ARN", "arn:aws:sqs:eu-west-1:111111111111:q"),
            ("SOURCE_OBJECT_POLICY", "shred"),
        ])
        .unwrap_err();
        assert_eq!(err.0.len(), 2, "{err}");
        assert!(err.0[0].starts_with("NOTIFICATION_TOPIC_ARN must be an SNS topic ARN"));
        assert_eq!(
            err.0[1],
            "SOURCE_OBJECT_POLICY must be keep, tag or delete (got \"shred\")"
        );
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let err = config(&[
            ("USER_POOL_ID", "nope"),
            ("DROP_PREFIX", "incoming"),
            ("UPLOAD_ATTEMPTS", "0"),
        ])
        .unwrap_err();
        let text = err.to_string();
        assert_eq!(err.0.len(), 5, "{text}");
        assert!(text.contains("DROP_BUCKET must be the name of the drop bucket"));
        assert!(text.contains("USER_POOL_ID must be a user pool id"));
        assert!(text.contains("CLOUDWATCH_LOGS_ROLE_ARN must be an IAM role ARN"));
        assert!(text.contains("DROP_PREFIX must end with '/'"));
        assert!(text.contains("UPLOAD_ATTEMPTS must be a whole number from 1 to 10"));
    }

    #[test]
    fn the_csv_dialect_is_one_of_three() {
        let mut vars = REQUIRED.to_vec();
        vars.push(("CSV_DIALECT", "RFC4180"));
        assert_eq!(config(&vars).unwrap().csv_dialect, Dialect::Rfc4180);
        let err = config(&[REQUIRED[0], REQUIRED[1], REQUIRED[2], ("CSV_DIALECT", "excel")]).unwrap_err();
        assert_eq!(
            err.0,
            vec!["CSV_DIALECT: \"excel\" is not a CSV dialect (auto, cognito or rfc4180)"]
        );
    }

    #[test]
    fn prefixes_must_not_nest() {
        let mut vars = REQUIRED.to_vec();
        vars.push(("STATE_PREFIX", "incoming/state/"));
        let err = config(&vars).unwrap_err();
        assert_eq!(
            err.0,
            vec!["STATE_PREFIX and DROP_PREFIX must not contain each other (the function would read its own output)"]
        );
    }

    #[test]
    fn flags_accept_the_usual_spellings_and_refuse_others() {
        let mut vars = REQUIRED.to_vec();
        vars.push(("REQUIRE_FULL_HEADER", "TRUE"));
        vars.push(("S3_FORCE_PATH_STYLE", "1"));
        let c = config(&vars).unwrap();
        assert!(c.require_full_header);
        assert!(!c.prepare_options().complete_header);
        assert!(c.s3_force_path_style);
        let map_last = config(&[REQUIRED[0], REQUIRED[1], REQUIRED[2], ("REQUIRE_FULL_HEADER", "maybe")]).unwrap_err();
        assert_eq!(
            map_last.0,
            vec!["REQUIRE_FULL_HEADER must be true or false (got \"maybe\")"]
        );
    }
}
