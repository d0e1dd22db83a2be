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

/// A fault waiting for an S3 call of one operation whose object key contains `key_contains`.
struct Scoped {
    key_contains: String,
    fault: Fault,
}

#[derive(Default)]
struct State {
    pending: HashMap<String, Vec<Fault>>,
    /// By operation, in the order injected.
    scoped: HashMap<String, Vec<Scoped>>,
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

    /// The next `times` S3 calls of `operation` whose object key contains `key_contains` answer with
    /// `fault`; calls of other keys, and calls that name no object, pass. So a test can fail one
    /// object's write among many, whatever order they come in. A call such a fault waits for takes
    /// it rather than a fault injected with [`Faults::inject`].
    pub fn inject_for_key(&self, operation: &str, key_contains: &str, fault: Fault, times: u32) {
        let mut state = self.state.lock().unwrap();
        let queue = state.scoped.entry(operation.to_owned()).or_default();
        queue.extend((0..times).map(|_| Scoped {
            key_contains: key_contains.to_owned(),
            fault,
        }));
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

    /// Takes the fault waiting for this S3 call of `operation` (on object `key`, if it names one) if
    /// it acts before the call (Throttle, Fail); a waiting LoseAnswer stays for
    /// [`Faults::take_lost`] after the call.
    pub fn take_before(&self, operation: &str, key: Option<&str>) -> Option<Fault> {
        self.take_if(operation, key, |fault| matches!(fault, Fault::Throttle | Fault::Fail))
    }

    /// Takes a waiting LoseAnswer of this S3 call of `operation` (on object `key`, if it names
    /// one): whether the call's answer is to be lost.
    pub fn take_lost(&self, operation: &str, key: Option<&str>) -> bool {
        self.take_if(operation, key, |fault| fault == Fault::LoseAnswer)
            .is_some()
    }

    /// Takes the fault this call is next in line for, if `wanted`: the first one scoped to a key
    /// the call's key contains, or else the first unscoped one.
    fn take_if(&self, operation: &str, key: Option<&str>, wanted: impl Fn(Fault) -> bool) -> Option<Fault> {
        let mut state = self.state.lock().unwrap();
        if let Some(key) = key
            && let Some(queue) = state.scoped.get_mut(operation)
            && let Some(at) = queue.iter().position(|s| key.contains(&s.key_contains))
        {
            return wanted(queue[at].fault).then(|| queue.remove(at).fault);
        }
        let queue = state.pending.get_mut(operation)?;
        let fault = *queue.first()?;
        wanted(fault).then(|| queue.remove(0))
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

    /// Clears every pending fault, scoped to a key or not.
    pub fn clear(&self) {
        *self.state.lock().unwrap() = State::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scoped_fault_is_taken_only_by_calls_of_its_keys() {
        let faults = Faults::default();
        faults.inject_for_key("PutObject", ".json", Fault::LoseAnswer, 1);
        faults.inject_for_key("PutObject", "hot", Fault::Throttle, 1);
        faults.inject("PutObject", Fault::Fail, 1);
        // Another key, or none, meets the unscoped fault.
        assert_eq!(faults.take_before("PutObject", Some("a.csv")), Some(Fault::Fail));
        assert_eq!(faults.take_before("PutObject", None), None);
        assert_eq!(faults.take_before("GetObject", Some("a.json")), None);
        // A LoseAnswer waits for the end of the call it is for.
        assert_eq!(faults.take_before("PutObject", Some("a.json")), None);
        assert!(!faults.take_lost("PutObject", Some("a.csv")));
        assert!(faults.take_lost("PutObject", Some("a.json")));
        assert!(!faults.take_lost("PutObject", Some("a.json")));
        assert_eq!(faults.take_before("PutObject", Some("hot.json")), Some(Fault::Throttle));
        assert_eq!(faults.take_before("PutObject", Some("hot.json")), None);
    }

    #[test]
    fn clear_forgets_scoped_faults_too() {
        let faults = Faults::default();
        faults.inject_for_key("DeleteObject", "k", Fault::Fail, 3);
        faults.clear();
        assert_eq!(faults.take_before("DeleteObject", Some("k")), None);
    }
}
