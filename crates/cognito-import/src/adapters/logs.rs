//! A finished job's CloudWatch log, read: the stream `<jobId>/<jobName>` in the pool's group,
//! oldest first with GetLogEvents, parsed by [`crate::domain::joblog`].

use aws_sdk_cloudwatchlogs::Client;
use aws_sdk_cloudwatchlogs::error::DisplayErrorContext;

use crate::domain::joblog::{JobLog, Parser};

/// Pages read at most: 500,000 rows at GetLogEvents' 10,000 events a page is 50, so this bounds
/// a stream that keeps handing out new tokens without end.
const MAX_PAGES: usize = 1_000;

/// Reading the log failed.
#[derive(Debug, thiserror::Error)]
#[error("reading the job's log {group} / {stream} failed: {detail}")]
pub struct LogError {
    group: String,
    stream: String,
    detail: String,
}

/// Reads the whole stream `<jobId>/<jobName>` of `group`, oldest first. A missing group or stream
/// (Cognito could not write it, e.g. the logs role is broken) gives an empty log, `found: false`.
pub async fn read(client: &Client, group: &str, stream: &str) -> Result<JobLog, LogError> {
    let mut parser = Parser::default();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let answer = client
            .get_log_events()
            .log_group_name(group)
            .log_stream_name(stream)
            .start_from_head(true)
            .set_next_token(token.clone())
            .send()
            .await;
        let page = match answer {
            Ok(page) => page,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_not_found_exception()) =>
            {
                return Ok(JobLog::default());
            }
            Err(e) => {
                return Err(LogError {
                    group: group.to_owned(),
                    stream: stream.to_owned(),
                    detail: DisplayErrorContext(e).to_string(),
                });
            }
        };
        for event in page.events() {
            parser.push(event.message().unwrap_or_default());
        }
        // The forward token repeats once the end of the stream is reached; a page may be empty
        // before that, so only the token ends the read.
        let next = page.next_forward_token;
        pages += 1;
        if next.is_none() || next == token || pages >= MAX_PAGES {
            break;
        }
        token = next;
    }
    let mut log = parser.finish();
    log.found = true;
    Ok(log)
}
