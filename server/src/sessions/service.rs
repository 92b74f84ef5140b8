//! The session rules, apart from HTTP: checking a login and turning a user into tokens.

use chrono::Duration;

use crate::auth::refresh::{self, Redemption};
use crate::auth::throttle::{AttemptKeys, LoginThrottle};
use crate::auth::{Scope, password};
use crate::db::DbConn;
use crate::error::ApiError;
use crate::state::AppState;
use crate::users::UserRow;
use crate::users::repo::{self as users_repo, UserError};

/// Tokens for one signed-in user.
pub struct Tokens {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: u64,
    pub refresh_expires_in: i64,
}

/// Verifies a username and password, throttling repeated failures.
pub async fn login(
    state: &AppState,
    username: String,
    secret: String,
    address: String,
) -> Result<Tokens, ApiError> {
    let throttle = LoginThrottle::new(&state.config.auth);
    let keys = AttemptKeys::new(&username, &address);
    let (check_throttle, check_keys) = (throttle.clone(), keys.clone());
    if let Some(retry_after_secs) = state
        .db
        .read(move |conn| {
            check_throttle
                .retry_after(conn, &check_keys)
                .map_err(ApiError::from)
        })
        .await?
    {
        return Err(ApiError::TooManyRequests { retry_after_secs });
    }

    let lookup_name = username.trim().to_owned();
    let user = state
        .db
        .read(move |conn| users_repo::find_by_username(conn, &lookup_name).map_err(ApiError::from))
        .await?;
    let verified = {
        let user = user.clone();
        tokio::task::spawn_blocking(move || match &user {
            Some(user) => password::verify(&secret, &user.password_hash),
            None => {
                password::verify_against_nothing(&secret);
                false
            }
        })
        .await
        .map_err(|e| ApiError::Internal(e.into()))?
    };

    let Some(user) = user.filter(|_| verified) else {
        state
            .db
            .write(move |conn| throttle.record_failure(conn, &keys).map_err(ApiError::from))
            .await?;
        return Err(ApiError::InvalidCredentials);
    };
    if user.disabled {
        return Err(ApiError::AccountDisabled);
    }
    let ttl = refresh_ttl(state);
    let (user, scope, issued) = state
        .db
        .write(move |conn| {
            throttle.record_success(conn, &keys)?;
            let scope = scope_of(conn, &user)?;
            let issued = refresh::issue(conn, &user.id, None, ttl)?;
            Ok::<_, ApiError>((user, scope, issued))
        })
        .await?;
    tokens_for(state, &user, scope, issued.token).await
}

/// Exchanges a refresh token for a new pair; the old one stops working.
pub async fn refresh(state: &AppState, presented: String) -> Result<Tokens, ApiError> {
    let ttl = refresh_ttl(state);
    let outcome = state
        .db
        .write(move |conn| {
            let (user_id, family_id) = match refresh::redeem(conn, &presented)? {
                Redemption::Valid { user_id, family_id } => (user_id, family_id),
                Redemption::Invalid => return Ok(Refreshed::Invalid),
                Redemption::Replayed => return Ok(Refreshed::Replayed),
            };
            let user = users_repo::find_by_id(conn, &user_id)?;
            let Some(user) = user.filter(|u| !u.disabled) else {
                refresh::revoke_family(conn, &family_id)?;
                return Ok(Refreshed::Disabled);
            };
            let scope = scope_of(conn, &user)?;
            let issued = refresh::issue(conn, &user.id, Some(&family_id), ttl)?;
            Ok::<_, ApiError>(Refreshed::Ok(Box::new((user, scope, issued.token))))
        })
        .await?;
    match outcome {
        Refreshed::Ok(boxed) => {
            let (user, scope, token) = *boxed;
            tokens_for(state, &user, scope, token).await
        }
        Refreshed::Invalid => Err(ApiError::InvalidRefreshToken),
        Refreshed::Replayed => {
            tracing::warn!("a used refresh token was presented again; its family is revoked");
            Err(ApiError::InvalidRefreshToken)
        }
        Refreshed::Disabled => Err(ApiError::AccountDisabled),
    }
}

/// The outcome of a refresh transaction. Revocations commit even when the request fails,
/// which is why failures are values here rather than errors that would roll back.
enum Refreshed {
    Ok(Box<(UserRow, Scope, String)>),
    Invalid,
    Replayed,
    Disabled,
}

fn refresh_ttl(state: &AppState) -> Duration {
    Duration::seconds(i64::try_from(state.config.auth.refresh_token_ttl_secs).unwrap_or(i64::MAX))
}

fn scope_of(conn: &mut DbConn, user: &UserRow) -> Result<Scope, ApiError> {
    users_repo::scope_of(conn, user).map_err(|e| match e {
        UserError::Query(e) => ApiError::from(e),
        other => ApiError::Internal(anyhow::anyhow!(
            "stored user {} is inconsistent: {other}",
            user.id
        )),
    })
}

async fn tokens_for(
    state: &AppState,
    user: &UserRow,
    scope: Scope,
    refresh_token: String,
) -> Result<Tokens, ApiError> {
    let role = user
        .role
        .parse()
        .map_err(|e: crate::auth::UnknownRole| ApiError::Internal(e.into()))?;
    let access_token = state
        .keys
        .issue(&user.id, &user.username, role, scope)
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    Ok(Tokens {
        access_token,
        refresh_token,
        expires_in: state.keys.access_ttl().as_secs(),
        refresh_expires_in: refresh_ttl(state).num_seconds(),
    })
}
