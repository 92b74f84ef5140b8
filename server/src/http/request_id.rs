//! The id of the request being served, so that error bodies and log lines can name it.

use uuid::Uuid;

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The id of the request this task is serving, if any.
pub fn current() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// Runs `future` with `id` as the current request id.
pub async fn scope<F: Future>(id: String, future: F) -> F::Output {
    REQUEST_ID.scope(id, future).await
}

/// Keeps a caller-supplied id (from a proxy or a client retrying) when it is short and plain,
/// otherwise makes a new time-ordered one.
pub fn accept_or_generate(incoming: Option<&str>) -> String {
    match incoming {
        Some(id)
            if !id.is_empty()
                && id.len() <= 64
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') =>
        {
            id.to_owned()
        }
        _ => Uuid::now_v7().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_incoming_ids_are_kept_and_others_replaced() {
        assert_eq!(accept_or_generate(Some("abc-123_X")), "abc-123_X");
        assert_ne!(accept_or_generate(Some("bad id\n")), "bad id\n");
        assert_eq!(accept_or_generate(Some(&"a".repeat(65))).len(), 36);
        assert_eq!(accept_or_generate(None).len(), 36);
    }
}
