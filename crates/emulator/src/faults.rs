//! Faults a test can switch on: throttled or failing calls, dropped uploads, short URL lifetimes.
//!
//! Operation names are the wire names: Cognito and CloudWatch Logs targets without their prefix
//! (`CreateUserImportJob`, `GetLogEvents`), S3 operations as s3s names them (`GetObject`,
//! `PutObjectTagging`) and SNS actions (`Publish`).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// What an injected fault does to a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// TooManyRequestsException (Cognito), ThrottlingException (Logs), SlowDown (S3),
    /// Throttling (SNS).
    Throttle,
    /// InternalErrorException (Cognito), ServiceUnavailableException (Logs), InternalError (S3,
    /// SNS).
    Fail,
    /// The call is carried out, then its answer is replaced by the `Fail` error: the caller cannot
    /// tell that it happened (a timeout after the service committed). In S3, for PutObject and
    /// DeleteObject.
    LoseAnswer,
}

#[derive(Default)]
struct State {
    pending: HashMap<String, Vec<Fault>>,
    dropped_uploads: u32,
    url_lifetime: Option<Duration>,
}

/// The fault switchboard shared by every part of the emulator.
#[derive(Default)]
pub struct Faults {
    state: Mutex<State>,
}

impl Faults {
    /// The next `times` calls of `operation` answer with `fault`.
    pub fn inject(&self, operation: &str, fault: Fault, times: u32) {
        let mut state = self.state.lock().unwrap();
        let queue = state.pending.entry(operation.to_owned()).or_default();
        queue.extend(std::iter::repeat_n(fault, times as usize));
    }

    /// Takes the fault waiting for this call of `operation`, if any.
    pub fn take(&self, operation: &str) -> Option<Fault> {
        let mut state = self.state.lock().unwrap();
        let queue = state.pending.get_mut(operation)?;
        if queue.is_empty() {
            return None;
        }
        Some(queue.remove(0))
    }

    /// Takes the waiting fault if it acts before the call (Throttle, Fail); a waiting LoseAnswer
    /// stays for [`Faults::take_lost`] after the call.
    pub fn take_before(&self, operation: &str) -> Option<Fault> {
        let mut state = self.state.lock().unwrap();
        let queue = state.pending.get_mut(operation)?;
        match queue.first() {
            Some(Fault::Throttle | Fault::Fail) => Some(queue.remove(0)),
            _ => None,
        }
    }

    /// Takes a waiting LoseAnswer of `operation`: whether the call's answer is to be lost.
    pub fn take_lost(&self, operation: &str) -> bool {
        let mut state = self.state.lock().unwrap();
        match state.pending.get_mut(operation) {
            Some(queue) if queue.first() == Some(&Fault::LoseAnswer) => {
                queue.remove(0);
                true
            }
            _ => false,
        }
    }

    /// The next `times` uploads to a pre-signed URL lose their connection part-way.
    pub fn drop_uploads(&self, times: u32) {
        self.state.lock().unwrap().dropped_uploads += times;
    }

    pub(crate) fn take_dropped_upload(&self) -> bool {
        let mut state = self.state.lock().unwrap();
        if state.dropped_uploads == 0 {
            return false;
        }
        state.dropped_uploads -= 1;
        true
    }

    /// Pre-signed URLs of jobs created from now on stay valid for `lifetime` instead of the real
    /// 899 seconds; `None` restores the real lifetime.
    pub fn set_url_lifetime(&self, lifetime: Option<Duration>) {
        self.state.lock().unwrap().url_lifetime = lifetime;
    }

    pub(crate) fn url_lifetime(&self) -> Option<Duration> {
        self.state.lock().unwrap().url_lifetime
    }

    /// Clears every pending fault.
    pub fn clear(&self) {
        *self.state.lock().unwrap() = State::default();
    }
}
