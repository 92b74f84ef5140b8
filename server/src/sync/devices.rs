//! The `devices` table: each app installation, bound to the user who registered it.

use chrono::Utc;
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::DbConn;
use crate::db::schema::devices;
use crate::error::ApiError;

/// Registers a device for a user, or confirms an existing registration; returns the highest
/// `device_seq` with a stored outcome.
pub fn register(conn: &mut DbConn, id: Uuid, user_id: &str, name: &str) -> Result<i64, ApiError> {
    let id = id.to_string();
    let stored: Option<(String, i64)> = devices::table
        .find(&id)
        .select((devices::user_id, devices::acked_seq))
        .get_result(conn)
        .optional()?;
    match stored {
        Some((owner, acked)) if owner == user_id => Ok(acked),
        Some(_) => Err(ApiError::conflict(
            "device_taken",
            "this device id is registered to another user; generate a new one",
        )),
        None => {
            let now = Utc::now().naive_utc();
            diesel::insert_into(devices::table)
                .values((
                    devices::id.eq(&id),
                    devices::user_id.eq(user_id),
                    devices::name.eq(name),
                    devices::acked_seq.eq(0_i64),
                    devices::registered_at.eq(now),
                    devices::last_seen_at.eq(now),
                ))
                .execute(conn)?;
            Ok(0)
        }
    }
}

/// The device's acknowledged sequence, if the device is registered to this user.
pub fn acked_seq(conn: &mut DbConn, id: Uuid, user_id: &str) -> QueryResult<Option<i64>> {
    devices::table
        .find(id.to_string())
        .filter(devices::user_id.eq(user_id))
        .select(devices::acked_seq)
        .get_result(conn)
        .optional()
}

pub fn acknowledge(conn: &mut DbConn, id: Uuid, acked_seq: i64) -> QueryResult<()> {
    diesel::update(devices::table.find(id.to_string()))
        .set((
            devices::acked_seq.eq(acked_seq),
            devices::last_seen_at.eq(Utc::now().naive_utc()),
        ))
        .execute(conn)?;
    Ok(())
}
