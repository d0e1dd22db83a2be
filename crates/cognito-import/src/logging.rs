//! Logs as Lambda operators expect them: the level and format from the function's logging
//! controls (Lambda passes its LoggingConfig as `AWS_LAMBDA_LOG_LEVEL` and `AWS_LAMBDA_LOG_FORMAT`;
//! `RUST_LOG` wins when set, for local runs), and in JSON one flat object a line — `level`,
//! `message`, the event's fields and the fields of every span it is in, so `requestId` (the
//! runtime's invocation span), `key` and `job_id` are on each line of an invocation.
//!
//! No level leaks secrets: the AWS SDK and the HTTP stack log request and response bodies (the
//! pre-signed URL in CreateUserImportJob's answer, the usernames in a per-line report) at trace,
//! so their targets are held at debug whatever the level asked for.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::prelude::*;

/// Third-party targets that write bodies at trace: never above debug.
const BODY_TARGETS: [&str; 10] = [
    "aws_smithy_runtime",
    "aws_smithy_runtime_api",
    "aws_smithy_http",
    "aws_smithy_http_client",
    "aws_sdk_s3",
    "aws_sdk_cognitoidentityprovider",
    "hyper",
    "hyper_util",
    "h2",
    "reqwest",
];

/// The log format Lambda's controls ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Json,
    Text,
}

/// Where the level and format come from, as the environment gives them.
#[derive(Clone, Debug, Default)]
pub struct Controls {
    /// `RUST_LOG`: a full filter (`info,cognito_import=debug`); wins when set.
    pub rust_log: Option<String>,
    /// `AWS_LAMBDA_LOG_LEVEL`: TRACE, DEBUG, INFO, WARN, ERROR or FATAL.
    pub lambda_level: Option<String>,
    /// `AWS_LAMBDA_LOG_FORMAT`: JSON or Text.
    pub lambda_format: Option<String>,
}

impl Controls {
    pub fn from_env() -> Controls {
        let var = |name| std::env::var(name).ok().filter(|v: &String| !v.trim().is_empty());
        Controls {
            rust_log: var("RUST_LOG"),
            lambda_level: var("AWS_LAMBDA_LOG_LEVEL"),
            lambda_format: var("AWS_LAMBDA_LOG_FORMAT"),
        }
    }

    /// JSON unless Lambda asks for Text: CloudWatch Logs Insights and metric filters read JSON.
    pub fn format(&self) -> Format {
        match &self.lambda_format {
            Some(f) if f.eq_ignore_ascii_case("text") => Format::Text,
            _ => Format::Json,
        }
    }

    /// The filter: `RUST_LOG`, else Lambda's level (FATAL is error here), else info; the SDK's own
    /// chatter at warn unless asked for; body-writing targets capped at debug.
    pub fn filter(&self) -> EnvFilter {
        let base = match (&self.rust_log, &self.lambda_level) {
            (Some(filter), _) => filter.clone(),
            (None, Some(level)) => {
                let level = match level.to_ascii_lowercase().as_str() {
                    "fatal" => "error".to_owned(),
                    other => other.to_owned(),
                };
                format!("{level},aws_config=warn")
            }
            (None, None) => "info,aws_config=warn".to_owned(),
        };
        let mut filter = EnvFilter::builder().parse_lossy(base);
        for target in BODY_TARGETS {
            // A directive for the target replaces any broader one: at most debug, and no louder
            // than the global level when that is lower.
            let capped = format!("{target}={}", self.capped_level());
            if let Ok(directive) = capped.parse() {
                filter = filter.add_directive(directive);
            }
        }
        filter
    }

    /// The level for body-writing targets: the asked-for level, but never trace.
    fn capped_level(&self) -> &'static str {
        let asked = self
            .rust_log
            .as_deref()
            .or(self.lambda_level.as_deref())
            .unwrap_or("info")
            .to_ascii_lowercase();
        if asked.contains("trace") || asked.contains("debug") {
            "debug"
        } else {
            "warn"
        }
    }
}

/// Installs the global subscriber writing to stdout (Lambda sends stdout to CloudWatch Logs).
pub fn init(controls: &Controls) {
    let _ = subscriber(controls, std::io::stdout).try_init();
}

/// The subscriber for `controls`, writing to `writer` (tests capture it).
pub fn subscriber<W>(controls: &Controls, writer: W) -> Box<dyn tracing::Subscriber + Send + Sync>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let registry = tracing_subscriber::registry().with(controls.filter());
    match controls.format() {
        Format::Json => {
            let mut json = json_subscriber::JsonLayer::new(writer);
            json.with_level("level")
                .with_target("target")
                .with_flattened_event()
                .with_top_level_flattened_span_list();
            Box::new(registry.with(json))
        }
        // CloudWatch stamps each line.
        Format::Text => Box::new(
            registry.with(
                tracing_subscriber::fmt::layer()
                    .without_time()
                    .with_ansi(false)
                    .with_writer(writer),
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn controls(rust_log: Option<&str>, level: Option<&str>, format: Option<&str>) -> Controls {
        Controls {
            rust_log: rust_log.map(Into::into),
            lambda_level: level.map(Into::into),
            lambda_format: format.map(Into::into),
        }
    }

    #[test]
    fn lambdas_level_sets_the_filter_and_rust_log_wins() {
        let lambda = controls(None, Some("DEBUG"), None).filter().to_string();
        assert!(
            lambda.starts_with("debug") || lambda.contains(",debug") || lambda.contains("debug,"),
            "{lambda}"
        );
        let both = controls(Some("warn"), Some("DEBUG"), None).filter().to_string();
        assert!(
            both.contains("warn") && !both.split(',').any(|d| d == "debug"),
            "{both}"
        );
        assert!(
            controls(None, Some("FATAL"), None)
                .filter()
                .to_string()
                .contains("error")
        );
    }

    #[test]
    fn body_writing_targets_never_log_at_trace() {
        let filter = controls(Some("trace"), None, None).filter().to_string();
        for target in BODY_TARGETS {
            assert!(filter.contains(&format!("{target}=debug")), "{target} in {filter}");
        }
        let quiet = controls(None, Some("INFO"), None).filter().to_string();
        assert!(quiet.contains("aws_smithy_runtime=warn"), "{quiet}");
    }

    #[test]
    fn json_unless_lambda_asks_for_text() {
        assert_eq!(controls(None, None, None).format(), Format::Json);
        assert_eq!(controls(None, None, Some("JSON")).format(), Format::Json);
        assert_eq!(controls(None, None, Some("Text")).format(), Format::Text);
    }
}
