//! What the pool requires of a file (from GetCSVHeader and DescribeUserPool): the input of a check.

#[cfg(doc)] // named in the docs only
use super::values::is_integer;

/// A user pool's multi-factor authentication setting (`MfaConfiguration` of DescribeUserPool).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Mfa {
    /// MFA off: `cognito:mfa_enabled` must not be true.
    Off,
    /// MFA required: `cognito:mfa_enabled` must not be false.
    On,
    /// Users choose: any value.
    Optional,
}

/// What the pool requires of an import file (from GetCSVHeader and DescribeUserPool).
#[derive(Clone, Debug)]
pub struct PoolRules {
    /// GetCSVHeader columns.
    pub header: Vec<String>,
    /// Pool-required attributes that are CSV columns, e.g. "email", "custom:tier": their values must
    /// not be empty.
    pub required: Vec<String>,
    /// The pool's MFA setting.
    pub mfa: Mfa,
    /// Custom attributes of type Number, with or without their `custom:` prefix: their values must be
    /// integers ([`is_integer`]).
    pub number_attributes: Vec<String>,
    /// Cognito's documented rule: every header column present (true by default). When false, a file may
    /// leave columns out, but not `cognito:username` nor a column of [`PoolRules::required`].
    pub require_full_header: bool,
}

impl PoolRules {
    /// The rules for a pool with this header and the defaults: nothing required, MFA off, no Number
    /// attribute, every header column present.
    pub fn new(header: Vec<String>) -> Self {
        PoolRules {
            header,
            required: Vec::new(),
            mfa: Mfa::Off,
            number_attributes: Vec::new(),
            require_full_header: true,
        }
    }
}
