//! Compares a plan with the stored parcels of the campaign and writes the difference in one
//! transaction: new parcels are added, changed ones updated with a history entry naming each
//! changed field, unchanged ones left alone. Importing the same list twice changes nothing.
//! Every parcel written gets a change number, so devices pull it; a parcel moved to another
//! village takes the records hanging on it along (see [`changes::move_parcel_records`]).

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde_json::{Value, json};
use uuid::Uuid;

use super::plan::PlannedParcel;
use crate::changes::{self, ChangeSequence};
use crate::db::DbConn;
use crate::db::schema::{parcel_history, parcel_imports, parcels};
use crate::parcels::geometry::square_metres_to_mu;
use crate::parcels::model::round2;
use crate::parcels::repo;

/// How a plan compares with what is stored.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// What an import run records about itself.
pub struct ImportRecord<'a> {
    pub campaign_id: &'a str,
    pub file_name: &'a str,
    pub file_sha256: &'a str,
    pub source_crs: &'a str,
    pub text_encoding: &'a str,
    pub imported_by: &'a str,
}

struct Stored {
    id: String,
    content_hash: String,
    version: i64,
}

fn stored(conn: &mut DbConn, campaign_id: &str) -> QueryResult<HashMap<String, Stored>> {
    let rows: Vec<(String, String, String, i64)> = parcels::table
        .filter(parcels::campaign_id.eq(campaign_id))
        .select((
            parcels::patch_code,
            parcels::id,
            parcels::content_hash,
            parcels::version,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(code, id, content_hash, version)| {
            (
                code,
                Stored {
                    id,
                    content_hash,
                    version,
                },
            )
        })
        .collect())
}

/// Counts what an import would do, without writing.
pub fn compare(
    conn: &mut DbConn,
    campaign_id: &str,
    planned: &[PlannedParcel],
) -> QueryResult<Counts> {
    let stored = stored(conn, campaign_id)?;
    let mut counts = Counts::default();
    for parcel in planned {
        match stored.get(&parcel.patch_code) {
            None => counts.created += 1,
            Some(s) if s.content_hash == parcel.content_hash => counts.unchanged += 1,
            Some(_) => counts.updated += 1,
        }
    }
    Ok(counts)
}

/// Writes an import chunk by chunk inside the caller's transaction: the import record first
/// (its counts are filled in by [`Applier::finish`]), then each chunk's new and changed parcels.
pub struct Applier {
    stored: HashMap<String, Stored>,
    import_id: String,
    generation: i64,
    sequence: ChangeSequence,
    now: NaiveDateTime,
    counts: Counts,
}

impl Applier {
    pub fn start(conn: &mut DbConn, record: &ImportRecord<'_>) -> QueryResult<Self> {
        let stored = stored(conn, record.campaign_id)?;
        let import_id = Uuid::now_v7().to_string();
        let now = Utc::now().naive_utc();
        diesel::insert_into(parcel_imports::table)
            .values((
                parcel_imports::id.eq(&import_id),
                parcel_imports::campaign_id.eq(record.campaign_id),
                parcel_imports::file_name.eq(record.file_name),
                parcel_imports::file_sha256.eq(record.file_sha256),
                parcel_imports::source_crs.eq(record.source_crs),
                parcel_imports::text_encoding.eq(record.text_encoding),
                parcel_imports::imported_by.eq(record.imported_by),
                parcel_imports::created.eq(0_i64),
                parcel_imports::updated.eq(0_i64),
                parcel_imports::unchanged.eq(0_i64),
                parcel_imports::imported_at.eq(now),
            ))
            .execute(conn)?;
        Ok(Self {
            stored,
            import_id,
            generation: repo::next_generation(conn)?,
            sequence: ChangeSequence::lock(conn)?,
            now,
            counts: Counts::default(),
        })
    }

    /// Writes one chunk: new parcels are added, changed ones updated with a history entry.
    pub fn apply(
        &mut self,
        conn: &mut DbConn,
        campaign_id: &str,
        planned: &[PlannedParcel],
    ) -> QueryResult<()> {
        let (generation, now) = (self.generation, self.now);
        let mut new = Vec::new();
        let mut changed = Vec::new();
        for parcel in planned {
            match self.stored.get(&parcel.patch_code) {
                None => new.push(NewParcel {
                    id: Uuid::now_v7().to_string(),
                    campaign_id,
                    patch_code: &parcel.patch_code,
                    version: 1,
                    created_at: now,
                    content: ParcelContent::of(parcel, generation, now),
                    sync_seq: self.sequence.take(),
                }),
                Some(s) if s.content_hash == parcel.content_hash => self.counts.unchanged += 1,
                Some(s) => changed.push((parcel, s)),
            }
        }
        self.counts.created += new.len();
        self.counts.updated += changed.len();
        insert_parcels(conn, &new)?;
        for (parcel, stored) in changed {
            let (changes, old_region_path) = changes(conn, &stored.id, parcel)?;
            if old_region_path != parcel.region_path {
                changes::move_parcel_records(
                    conn,
                    &mut self.sequence,
                    &stored.id,
                    &old_region_path,
                    &parcel.region_path,
                )?;
            }
            let version = stored.version + 1;
            diesel::update(parcels::table.find(&stored.id))
                .set((
                    parcels::version.eq(version),
                    parcels::sync_seq.eq(self.sequence.take()),
                    ParcelContent::of(parcel, generation, now),
                ))
                .execute(conn)?;
            diesel::insert_into(parcel_history::table)
                .values((
                    parcel_history::id.eq(Uuid::now_v7().to_string()),
                    parcel_history::parcel_id.eq(&stored.id),
                    parcel_history::version.eq(version),
                    parcel_history::import_id.eq(&self.import_id),
                    parcel_history::changes.eq(changes.to_string()),
                    parcel_history::changed_at.eq(now),
                ))
                .execute(conn)?;
        }
        Ok(())
    }

    /// Records the counts and the change numbers taken; returns the import id and the counts.
    pub fn finish(self, conn: &mut DbConn) -> QueryResult<(String, Counts)> {
        self.sequence.finish(conn)?;
        diesel::update(parcel_imports::table.find(&self.import_id))
            .set((
                parcel_imports::created.eq(count(self.counts.created)),
                parcel_imports::updated.eq(count(self.counts.updated)),
                parcel_imports::unchanged.eq(count(self.counts.unchanged)),
            ))
            .execute(conn)?;
        Ok((self.import_id, self.counts))
    }
}

/// Rows per multi-row INSERT on PostgreSQL: 25 binds each, well under its 65,535.
const POSTGRES_BATCH: usize = 500;

/// The hot loop of a county-sized import, on each backend's own connection type. SQLite is
/// fastest with one cached single-row statement per parcel; PostgreSQL with multi-row
/// statements, which save a round trip per parcel.
fn insert_parcels(conn: &mut DbConn, rows: &[NewParcel<'_>]) -> QueryResult<()> {
    match conn {
        DbConn::Sqlite(c) => {
            for row in rows {
                diesel::insert_into(parcels::table).values(row).execute(c)?;
            }
        }
        DbConn::Postgres(c) => {
            for batch in rows.chunks(POSTGRES_BATCH) {
                diesel::insert_into(parcels::table)
                    .values(batch)
                    .execute(c)?;
            }
        }
    }
    Ok(())
}

/// A parcel as first stored.
#[derive(Insertable)]
#[diesel(table_name = parcels)]
struct NewParcel<'a> {
    id: String,
    campaign_id: &'a str,
    patch_code: &'a str,
    version: i64,
    created_at: NaiveDateTime,
    #[diesel(embed)]
    content: ParcelContent<'a>,
    sync_seq: i64,
}

/// The columns an import sets, on insert and on update alike.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = parcels, treat_none_as_null = true)]
struct ParcelContent<'a> {
    source_list: &'a str,
    village_code: &'a str,
    region_path: &'a str,
    land_class: &'a str,
    problem_type: &'a str,
    declared_area_mu: Option<f64>,
    measured_area_m2: f64,
    area_mismatch: bool,
    deadline: Option<NaiveDate>,
    geometry: &'a [u8],
    min_lon: f64,
    min_lat: f64,
    max_lon: f64,
    max_lat: f64,
    attributes: &'a str,
    content_hash: &'a str,
    generation: i64,
    updated_at: NaiveDateTime,
}

impl<'a> ParcelContent<'a> {
    fn of(parcel: &'a PlannedParcel, generation: i64, now: NaiveDateTime) -> Self {
        Self {
            source_list: parcel.source_list.as_str(),
            village_code: &parcel.village_code,
            region_path: &parcel.region_path,
            land_class: parcel.land_class.as_str(),
            problem_type: &parcel.problem_type,
            declared_area_mu: parcel.declared_area_mu,
            measured_area_m2: parcel.measured_area_m2,
            area_mismatch: parcel.area_mismatch,
            deadline: parcel.deadline,
            geometry: &parcel.geometry,
            min_lon: parcel.bounds[0],
            min_lat: parcel.bounds[1],
            max_lon: parcel.bounds[2],
            max_lat: parcel.bounds[3],
            attributes: &parcel.attributes,
            content_hash: &parcel.content_hash,
            generation,
            updated_at: now,
        }
    }
}

/// Each changed field with its stored and its new value, and the stored region path.
fn changes(conn: &mut DbConn, id: &str, new: &PlannedParcel) -> QueryResult<(Value, String)> {
    #[allow(clippy::type_complexity)]
    let old: (
        String,
        String,
        String,
        String,
        Option<f64>,
        f64,
        Option<NaiveDate>,
        Vec<u8>,
        String,
        String,
    ) = parcels::table
        .find(id)
        .select((
            parcels::source_list,
            parcels::village_code,
            parcels::land_class,
            parcels::problem_type,
            parcels::declared_area_mu,
            parcels::measured_area_m2,
            parcels::deadline,
            parcels::geometry,
            parcels::attributes,
            parcels::region_path,
        ))
        .first(conn)?;
    let mut changes = serde_json::Map::new();
    let mut note = |field: &str, from: Value, to: Value| {
        if from != to {
            changes.insert(field.to_owned(), json!({"from": from, "to": to}));
        }
    };
    note("source_list", json!(old.0), json!(new.source_list.as_str()));
    note("village_code", json!(old.1), json!(new.village_code));
    note("land_class", json!(old.2), json!(new.land_class.as_str()));
    note("problem_type", json!(old.3), json!(new.problem_type));
    note(
        "declared_area_mu",
        json!(old.4),
        json!(new.declared_area_mu),
    );
    note("deadline", json!(old.6), json!(new.deadline));
    if old.7 != new.geometry {
        note(
            "geometry",
            json!({"measured_area_mu": round2(square_metres_to_mu(old.5))}),
            json!({"measured_area_mu": round2(square_metres_to_mu(new.measured_area_m2))}),
        );
    }
    let old_attributes: Value = serde_json::from_str(&old.8).unwrap_or(Value::Null);
    let new_attributes: Value = serde_json::from_str(&new.attributes).unwrap_or(Value::Null);
    note("attributes", old_attributes, new_attributes);
    Ok((Value::Object(changes), old.9))
}

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
