//! The change sequence: the numbers devices' pull cursors count in.
//!
//! The counter is a row in `counters`. A writer locks it at the start of its transaction and
//! writes it back at the end, so the row lock orders writers and is held until commit: numbers
//! become visible in the order they were handed out, on PostgreSQL as on SQLite. A reader that
//! sees number N therefore already sees every number below N, and a cursor at N can never skip
//! a change that commits later. (A PostgreSQL `SEQUENCE` would not do: two transactions can
//! commit in the opposite order of their numbers.)

use diesel::prelude::*;
use diesel::sql_types::BigInt;

use crate::db::DbConn;
use crate::db::schema::counters;

const COUNTER: &str = "change_seq";

/// Hands out change numbers inside one write transaction.
#[derive(Debug)]
#[must_use = "call `finish` to store the numbers handed out"]
pub struct ChangeSequence {
    last: i64,
    start: i64,
}

#[derive(QueryableByName)]
struct Value {
    #[diesel(sql_type = BigInt)]
    value: i64,
}

impl ChangeSequence {
    /// Locks the counter until the caller's transaction ends. SQLite needs no row lock: the
    /// database has one writer at a time.
    pub fn lock(conn: &mut DbConn) -> QueryResult<ChangeSequence> {
        let last = match conn {
            DbConn::Postgres(c) => {
                diesel::sql_query("SELECT value FROM counters WHERE name = $1 FOR UPDATE")
                    .bind::<diesel::sql_types::Text, _>(COUNTER)
                    .get_result::<Value>(c)?
                    .value
            }
            DbConn::Sqlite(_) => Self::current(conn)?,
        };
        Ok(ChangeSequence { last, start: last })
    }

    /// The highest number committed, as the caller's snapshot sees it.
    pub fn current(conn: &mut DbConn) -> QueryResult<i64> {
        counters::table
            .find(COUNTER)
            .select(counters::value)
            .get_result(conn)
    }

    /// The next number.
    pub fn take(&mut self) -> i64 {
        self.last += 1;
        self.last
    }

    /// The last number handed out (or the counter's value if none was).
    pub fn last(&self) -> i64 {
        self.last
    }

    /// Stores the counter.
    pub fn finish(self, conn: &mut DbConn) -> QueryResult<()> {
        if self.last != self.start {
            diesel::update(counters::table.find(COUNTER))
                .set(counters::value.eq(self.last))
                .execute(conn)?;
        }
        Ok(())
    }
}
