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

/// The attributes a pool auto-verifies (`AutoVerifiedAttributes` of DescribeUserPool), which decide
/// what a user row must mark verified (reference, "verification"): at least one of them true for each
/// user, so in a pool that auto-verifies only one, that one for every user. A pool that auto-verifies
/// neither cannot import at all (Cognito does not start its jobs), so it has no value here.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum AutoVerified {
    /// Only `email`: `email_verified` must be true in every row.
    Email,
    /// Only `phone_number`: `phone_number_verified` must be true in every row.
    PhoneNumber,
    /// Both: `email_verified` or `phone_number_verified` must be true in each row.
    EmailAndPhoneNumber,
}

impl AutoVerified {
    /// From DescribeUserPool's `AutoVerifiedAttributes` (other names are ignored); `None` when the pool
    /// auto-verifies neither `email` nor `phone_number`.
    pub fn from_attributes<'a>(names: impl IntoIterator<Item = &'a str>) -> Option<AutoVerified> {
        let (mut email, mut phone) = (false, false);
        for name in names {
            email |= name == "email";
            phone |= name == "phone_number";
        }
        match (email, phone) {
            (true, true) => Some(AutoVerified::EmailAndPhoneNumber),
            (true, false) => Some(AutoVerified::Email),
            (false, true) => Some(AutoVerified::PhoneNumber),
            (false, false) => None,
        }
    }

    /// Whether the pool auto-verifies `email`.
    pub fn email(self) -> bool {
        self != AutoVerified::PhoneNumber
    }

    /// Whether the pool auto-verifies `phone_number`.
    pub fn phone_number(self) -> bool {
        self != AutoVerified::Email
    }
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
    /// The attributes the pool auto-verifies: what each row must mark verified.
    pub auto_verified: AutoVerified,
    /// Custom attributes of type Number, with or without their `custom:` prefix: their values must be
    /// integers ([`is_integer`]).
    pub number_attributes: Vec<String>,
    /// Cognito's documented rule: every header column present (true by default). When false, a file may
    /// leave columns out, but not `cognito:username` nor a column of [`PoolRules::required`].
    pub require_full_header: bool,
}

impl PoolRules {
    /// The rules for a pool with this header and the defaults: nothing required, MFA off, email
    /// auto-verified, no Number attribute, every header column present.
    pub fn new(header: Vec<String>) -> Self {
        PoolRules {
            header,
            required: Vec::new(),
            mfa: Mfa::Off,
            auto_verified: AutoVerified::Email,
            number_attributes: Vec::new(),
            require_full_header: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::AutoVerified;

    #[test]
    fn auto_verified_from_the_pools_attributes() {
        let of = |names: &[&str]| AutoVerified::from_attributes(names.iter().copied());
        assert_eq!(of(&["email"]), Some(AutoVerified::Email));
        assert_eq!(of(&["phone_number"]), Some(AutoVerified::PhoneNumber));
        assert_eq!(of(&["phone_number", "email"]), Some(AutoVerified::EmailAndPhoneNumber));
        assert_eq!(of(&[]), None);
        assert_eq!(of(&["preferred_username"]), None);
        let both = AutoVerified::EmailAndPhoneNumber;
        assert!(both.email() && both.phone_number());
        assert!(AutoVerified::Email.email() && !AutoVerified::Email.phone_number());
        assert!(!AutoVerified::PhoneNumber.email() && AutoVerified::PhoneNumber.phone_number());
    }
}
