//! Compares a plan with the stored parcels of the campaign and writes the difference in one
//! transaction: new parcels are added, changed ones updated with a history entry naming each
//! changed field, unchanged ones left alone. Importing the same list twice changes nothing.

use std::collections::HashMap;

use chrono::{NaiveDate, Utc};
use diesel::prelude::*;
use serde_json::{Value, json};
use uuid::Uuid;

use super::plan::PlannedParcel;
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

/// Writes the plan; returns the import id and the counts. Run inside one transaction.
pub fn apply(
    conn: &mut DbConn,
    record: &ImportRecord<'_>,
    planned: &[PlannedParcel],
) -> QueryResult<(String, Counts)> {
    let stored = stored(conn, record.campaign_id)?;
    let mut counts = Counts::default();
    let mut new = Vec::new();
    let mut changed = Vec::new();
    for parcel in planned {
        match stored.get(&parcel.patch_code) {
            None => new.push(parcel),
            Some(s) if s.content_hash == parcel.content_hash => counts.unchanged += 1,
            Some(s) => changed.push((parcel, s)),
        }
    }
    counts.created = new.len();
    counts.updated = changed.len();

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
            parcel_imports::created.eq(count(counts.created)),
            parcel_imports::updated.eq(count(counts.updated)),
            parcel_imports::unchanged.eq(count(counts.unchanged)),
            parcel_imports::imported_at.eq(now),
        ))
        .execute(conn)?;
    if new.is_empty() && changed.is_empty() {
        return Ok((import_id, counts));
    }

    let generation = repo::next_generation(conn)?;
    // The hot loop of a county-sized import: on the backend's own connection type.
    crate::on_backend!(conn, |c| {
        for parcel in &new {
            diesel::insert_into(parcels::table)
                .values((
                    parcels::id.eq(Uuid::now_v7().to_string()),
                    parcels::campaign_id.eq(record.campaign_id),
                    parcels::patch_code.eq(&parcel.patch_code),
                    parcels::version.eq(1_i64),
                    parcels::created_at.eq(now),
                    content_columns(parcel, generation, now),
                ))
                .execute(c)?;
        }
    });
    for (parcel, stored) in changed {
        let changes = changes(conn, &stored.id, parcel)?;
        let version = stored.version + 1;
        diesel::update(parcels::table.find(&stored.id))
            .set((
                parcels::version.eq(version),
                content_columns(parcel, generation, now),
            ))
            .execute(conn)?;
        diesel::insert_into(parcel_history::table)
            .values((
                parcel_history::id.eq(Uuid::now_v7().to_string()),
                parcel_history::parcel_id.eq(&stored.id),
                parcel_history::version.eq(version),
                parcel_history::import_id.eq(&import_id),
                parcel_history::changes.eq(changes.to_string()),
                parcel_history::changed_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok((import_id, counts))
}

/// The columns an import sets, on insert and on update alike.
#[allow(clippy::type_complexity)]
fn content_columns(
    parcel: &PlannedParcel,
    generation: i64,
    now: chrono::NaiveDateTime,
) -> (
    diesel::dsl::Eq<parcels::source_list, &'static str>,
    diesel::dsl::Eq<parcels::village_code, String>,
    diesel::dsl::Eq<parcels::region_path, String>,
    diesel::dsl::Eq<parcels::land_class, &'static str>,
    diesel::dsl::Eq<parcels::problem_type, String>,
    diesel::dsl::Eq<parcels::declared_area_mu, Option<f64>>,
    diesel::dsl::Eq<parcels::measured_area_m2, f64>,
    diesel::dsl::Eq<parcels::area_mismatch, bool>,
    diesel::dsl::Eq<parcels::deadline, Option<NaiveDate>>,
    diesel::dsl::Eq<parcels::geometry, Vec<u8>>,
    (
        diesel::dsl::Eq<parcels::min_lon, f64>,
        diesel::dsl::Eq<parcels::min_lat, f64>,
        diesel::dsl::Eq<parcels::max_lon, f64>,
        diesel::dsl::Eq<parcels::max_lat, f64>,
    ),
    diesel::dsl::Eq<parcels::attributes, String>,
    diesel::dsl::Eq<parcels::content_hash, String>,
    diesel::dsl::Eq<parcels::generation, i64>,
    diesel::dsl::Eq<parcels::updated_at, chrono::NaiveDateTime>,
) {
    (
        parcels::source_list.eq(parcel.source_list.as_str()),
        parcels::village_code.eq(parcel.village_code.clone()),
        parcels::region_path.eq(parcel.region_path.clone()),
        parcels::land_class.eq(parcel.land_class.as_str()),
        parcels::problem_type.eq(parcel.problem_type.clone()),
        parcels::declared_area_mu.eq(parcel.declared_area_mu),
        parcels::measured_area_m2.eq(parcel.measured_area_m2),
        parcels::area_mismatch.eq(parcel.area_mismatch),
        parcels::deadline.eq(parcel.deadline),
        parcels::geometry.eq(parcel.geometry.clone()),
        (
            parcels::min_lon.eq(parcel.bounds[0]),
            parcels::min_lat.eq(parcel.bounds[1]),
            parcels::max_lon.eq(parcel.bounds[2]),
            parcels::max_lat.eq(parcel.bounds[3]),
        ),
        parcels::attributes.eq(parcel.attributes.clone()),
        parcels::content_hash.eq(parcel.content_hash.clone()),
        parcels::generation.eq(generation),
        parcels::updated_at.eq(now),
    )
}

/// Each changed field with its stored and its new value.
fn changes(conn: &mut DbConn, id: &str, new: &PlannedParcel) -> QueryResult<Value> {
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
    Ok(Value::Object(changes))
}

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
