//! Cognito Identity Provider: user pools, users and user import jobs, as the
//! `AWSCognitoIdentityProviderService` JSON API presents them.
//!
//! Each part calls only the parts below it:
//!
//! - [`api`]: the operation named by `X-Amz-Target` to the function that runs it.
//! - [`pools`], [`users`], [`import_jobs`], [`clients`], [`auth`]: the operations, each reading
//!   its JSON input, checking it as Cognito does and answering in Cognito's JSON. `auth` signs users
//!   in with the password hash an import gave them.
//! - [`runner`]: a started job, run in the background by the rules in `import`; it creates users
//!   the way [`users::new_user`] does for AdminCreateUser.
//! - `request`: the pool id and pagination tokens, read the same way by every operation.
//! - [`model`]: the data (pools, users, jobs, job statuses) and the JSON shapes the API gives it.
//!   Everything lives in memory behind one lock (`Shared::cognito`).

pub mod api;
pub mod auth;
pub mod clients;
pub mod import_jobs;
pub mod model;
pub mod pools;
mod request;
pub mod runner;
pub mod users;

// The names the crate offered here before the split.
pub use api::handle;
pub use model::{
    AppClient, Attribute, Cognito, Job, JobStatus, Pool, STANDARD_ATTRIBUTES, User, expire_if_due, messages,
};
pub use users::{new_user, new_user_with_password};
