//! What every Cognito operation reads the same way: the pool id, checked against its pattern, and
//! the opaque tokens that page through a list.

use crate::json::{ApiError, Input};

fn check_pool_id(id: &str) -> Result<(), ApiError> {
    let ok = id.len() <= 55
        && id.split_once('_').is_some_and(|(region, rest)| {
            !region.is_empty()
                && region.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '_')
                && !rest.is_empty()
                && rest.chars().all(|c| c.is_ascii_alphanumeric())
        });
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid(format!(
            "1 validation error detected: Value '{id}' at 'userPoolId' failed to satisfy constraint: \
             Member must satisfy regular expression pattern: [\\w-]+_[0-9a-zA-Z]+"
        )))
    }
}

pub(super) fn pool_id_of(input: &Input) -> Result<&str, ApiError> {
    let id = input.str("UserPoolId")?;
    check_pool_id(id)?;
    Ok(id)
}

/// Pages over `items` with an opaque token holding the index of the next item.
pub(super) fn page<'a, T>(
    items: &'a [T],
    token: Option<&str>,
    limit: usize,
) -> Result<(&'a [T], Option<String>), ApiError> {
    let start = match token {
        None => 0,
        Some(t) => t
            .strip_prefix("page-")
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|n| *n <= items.len())
            .ok_or_else(|| ApiError::invalid("Invalid pagination token"))?,
    };
    let end = (start + limit).min(items.len());
    let next = (end < items.len()).then(|| format!("page-{end}"));
    Ok((&items[start..end], next))
}
