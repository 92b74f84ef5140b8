//! Opaque keyset cursors: the client hands back what it was given and never parses it.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::ApiError;

pub const DEFAULT_PAGE_SIZE: i64 = 500;
pub const MAX_PAGE_SIZE: i64 = 2000;

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// How many items at most (default 500, at most 2000).
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl PageQuery {
    pub fn limit(&self) -> Result<i64, ApiError> {
        match self.limit {
            None => Ok(DEFAULT_PAGE_SIZE),
            Some(n) if (1..=MAX_PAGE_SIZE).contains(&n) => Ok(n),
            Some(_) => Err(ApiError::InvalidQuery(format!(
                "limit must be between 1 and {MAX_PAGE_SIZE}"
            ))),
        }
    }

    /// The sort key the cursor stands for.
    pub fn after(&self) -> Result<Option<String>, ApiError> {
        self.cursor
            .as_deref()
            .map(|cursor| {
                URL_SAFE_NO_PAD
                    .decode(cursor)
                    .ok()
                    .and_then(|bytes| String::from_utf8(bytes).ok())
                    .ok_or_else(|| {
                        ApiError::InvalidQuery("cursor is not one this server gave".into())
                    })
            })
            .transpose()
    }
}

/// One page of a listing.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page; a full page gets a cursor made from the last item's sort key.
    pub fn new(items: Vec<T>, limit: i64, sort_key: impl Fn(&T) -> &str) -> Self {
        let full = i64::try_from(items.len()).unwrap_or(i64::MAX) >= limit;
        let next_cursor = items
            .last()
            .filter(|_| full)
            .map(|last| URL_SAFE_NO_PAD.encode(sort_key(last)));
        Self { items, next_cursor }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_page_points_past_its_last_item() {
        let page = Page::new(vec!["a".to_owned(), "b".to_owned()], 2, |s| s.as_str());
        let query = PageQuery {
            limit: Some(2),
            cursor: page.next_cursor,
        };
        assert_eq!(query.after().unwrap().as_deref(), Some("b"));
        let last = Page::new(vec!["c".to_owned()], 2, |s| s.as_str());
        assert!(last.next_cursor.is_none());
    }

    #[test]
    fn bad_limits_and_cursors_are_refused() {
        assert!(
            PageQuery {
                limit: Some(0),
                cursor: None
            }
            .limit()
            .is_err()
        );
        assert!(
            PageQuery {
                limit: Some(5000),
                cursor: None
            }
            .limit()
            .is_err()
        );
        assert!(
            PageQuery {
                limit: None,
                cursor: Some("%%%".into())
            }
            .after()
            .is_err()
        );
    }
}
