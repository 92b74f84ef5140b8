//! Refresh tokens: long-lived, opaque, stored only as SHA-256 digests, and rotated on every
//! use. Tokens that descend from one login form a family; presenting a token that was already
//! used means it was copied, so the whole family is revoked (RFC 9700, section 4.14.2).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use rand::RngCore;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::db::DbConn;
use crate::db::schema::refresh_tokens;

const TOKEN_BYTES: usize = 32;

/// A refresh token as handed to the client, once; only its digest is kept.
pub struct IssuedToken {
    pub token: String,
    pub expires_at: NaiveDateTime,
}

/// What presenting a refresh token led to.
pub enum Redemption {
    /// The token was valid and is now used; the caller issues its successor in `family_id`.
    Valid { user_id: String, family_id: String },
    /// Unknown, expired or revoked.
    Invalid,
    /// Already used: the family has just been revoked.
    Replayed,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = refresh_tokens)]
struct StoredToken {
    id: String,
    family_id: String,
    user_id: String,
    expires_at: NaiveDateTime,
    used_at: Option<NaiveDateTime>,
    revoked_at: Option<NaiveDateTime>,
}

/// Issues a token in a new family (login) or an existing one (rotation).
pub fn issue(
    conn: &mut DbConn,
    user_id: &str,
    family_id: Option<&str>,
    ttl: Duration,
) -> QueryResult<IssuedToken> {
    let mut bytes = [0u8; TOKEN_BYTES];
    rand::rng().fill_bytes(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let now = Utc::now().naive_utc();
    let expires_at = now + ttl;
    let family_id = family_id.map_or_else(|| Uuid::now_v7().to_string(), ToOwned::to_owned);
    diesel::insert_into(refresh_tokens::table)
        .values((
            refresh_tokens::id.eq(Uuid::now_v7().to_string()),
            refresh_tokens::family_id.eq(family_id),
            refresh_tokens::user_id.eq(user_id),
            refresh_tokens::token_hash.eq(digest(&token)),
            refresh_tokens::issued_at.eq(now),
            refresh_tokens::expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    Ok(IssuedToken { token, expires_at })
}

/// Marks a presented token used. Run it in the same transaction as issuing the successor.
pub fn redeem(conn: &mut DbConn, token: &str) -> QueryResult<Redemption> {
    let now = Utc::now().naive_utc();
    let found: Option<StoredToken> = refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(digest(token)))
        .select(StoredToken::as_select())
        .first(conn)
        .optional()?;
    let Some(StoredToken {
        id,
        family_id,
        user_id,
        expires_at,
        used_at,
        revoked_at,
    }) = found
    else {
        return Ok(Redemption::Invalid);
    };
    if revoked_at.is_some() || expires_at <= now {
        return Ok(Redemption::Invalid);
    }
    // The `used_at IS NULL` condition makes two concurrent redemptions of one token
    // produce one winner; the loser is treated as a replay.
    let claimed = used_at.is_none()
        && diesel::update(
            refresh_tokens::table
                .find(&id)
                .filter(refresh_tokens::used_at.is_null()),
        )
        .set(refresh_tokens::used_at.eq(now))
        .execute(conn)?
            == 1;
    if !claimed {
        revoke_family(conn, &family_id)?;
        return Ok(Redemption::Replayed);
    }
    Ok(Redemption::Valid { user_id, family_id })
}

/// Revokes the family a token belongs to (logout). Unknown tokens are ignored.
pub fn revoke_by_token(conn: &mut DbConn, token: &str) -> QueryResult<()> {
    let family: Option<String> = refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(digest(token)))
        .select(refresh_tokens::family_id)
        .first(conn)
        .optional()?;
    if let Some(family_id) = family {
        revoke_family(conn, &family_id)?;
    }
    Ok(())
}

pub fn revoke_family(conn: &mut DbConn, family_id: &str) -> QueryResult<usize> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::family_id.eq(family_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(Utc::now().naive_utc()))
    .execute(conn)
}

/// Revokes every refresh token of a user (disabled account, new password).
pub fn revoke_user(conn: &mut DbConn, user_id: &str) -> QueryResult<usize> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::user_id.eq(user_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(Utc::now().naive_utc()))
    .execute(conn)
}

fn digest(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
