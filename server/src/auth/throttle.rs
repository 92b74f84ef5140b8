//! Login throttling against password guessing: failed logins are counted per username and
//! per client address over a sliding window. The counts live in the database, so every
//! instance sharing it enforces the same limits.

use chrono::{Duration, NaiveDateTime, Utc};
use diesel::dsl::{count_star, min};
use diesel::prelude::*;
use uuid::Uuid;

use crate::config::AuthConfig;
use crate::db::DbConn;
use crate::db::schema::login_failures;

#[derive(Debug, Clone)]
pub struct LoginThrottle {
    window: Duration,
    max_per_user: i64,
    max_per_address: i64,
}

/// The keys a login attempt is counted under.
#[derive(Debug, Clone)]
pub struct AttemptKeys {
    user: String,
    address: String,
}

impl AttemptKeys {
    pub fn new(username: &str, address: &str) -> Self {
        Self {
            user: format!("user:{}", username.trim().to_lowercase()),
            address: format!("addr:{address}"),
        }
    }
}

impl LoginThrottle {
    pub fn new(config: &AuthConfig) -> Self {
        Self {
            window: Duration::seconds(
                i64::try_from(config.login_failure_window_secs).unwrap_or(i64::MAX),
            ),
            max_per_user: i64::from(config.login_max_failures_per_user),
            max_per_address: i64::from(config.login_max_failures_per_address),
        }
    }

    /// `Some(seconds)` to wait when either key has used up its failures in the window.
    pub fn retry_after(&self, conn: &mut DbConn, keys: &AttemptKeys) -> QueryResult<Option<u64>> {
        let now = Utc::now().naive_utc();
        let user = self.blocked_for(conn, &keys.user, self.max_per_user, now)?;
        let address = self.blocked_for(conn, &keys.address, self.max_per_address, now)?;
        Ok(user.max(address))
    }

    pub fn record_failure(&self, conn: &mut DbConn, keys: &AttemptKeys) -> QueryResult<()> {
        let now = Utc::now().naive_utc();
        for key in [&keys.user, &keys.address] {
            diesel::insert_into(login_failures::table)
                .values((
                    login_failures::id.eq(Uuid::now_v7().to_string()),
                    login_failures::throttle_key.eq(key),
                    login_failures::failed_at.eq(now),
                ))
                .execute(conn)?;
            // Housekeeping: rows older than the window no longer count.
            diesel::delete(
                login_failures::table
                    .filter(login_failures::throttle_key.eq(key))
                    .filter(login_failures::failed_at.le(now - self.window)),
            )
            .execute(conn)?;
        }
        Ok(())
    }

    /// A successful login forgives the user's earlier failures (not the address's).
    pub fn record_success(&self, conn: &mut DbConn, keys: &AttemptKeys) -> QueryResult<()> {
        diesel::delete(login_failures::table.filter(login_failures::throttle_key.eq(&keys.user)))
            .execute(conn)?;
        Ok(())
    }

    fn blocked_for(
        &self,
        conn: &mut DbConn,
        key: &str,
        max: i64,
        now: NaiveDateTime,
    ) -> QueryResult<Option<u64>> {
        let (failures, oldest): (i64, Option<NaiveDateTime>) = login_failures::table
            .filter(login_failures::throttle_key.eq(key))
            .filter(login_failures::failed_at.gt(now - self.window))
            .select((count_star(), min(login_failures::failed_at)))
            .first(conn)?;
        Ok(match oldest {
            Some(oldest) if failures >= max => {
                let wait = (oldest + self.window - now).num_seconds().max(1);
                Some(u64::try_from(wait).unwrap_or(1))
            }
            _ => None,
        })
    }
}
