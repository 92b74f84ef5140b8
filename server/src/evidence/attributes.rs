//! Field-observed parcel attributes (current land use, crop, notes): edited in place, field by
//! field, by the merge rule of [`tianzhang_sync::merge`]. Every value ever written is kept in
//! `attribute_history`, and an edit that missed a concurrent one opens a conflict that keeps
//! both values until someone who has seen them settles it.

use std::collections::BTreeMap;

use chrono::Utc;
use diesel::prelude::*;
use tianzhang_sync::merge::{AttributeState, FieldState, MergePlan, OpenConflict};
use tianzhang_sync::messages::{AttributesData, ConflictData, RecordKind};
use tianzhang_sync::records::AttributeField;
use uuid::Uuid;

use crate::changes::{self, FeedWrite};
use crate::db::DbConn;
use crate::db::schema::{attribute_conflicts, attribute_history, parcel_attributes, users};

fn corrupt(what: &str) -> diesel::result::Error {
    diesel::result::Error::DeserializationError(format!("stored {what} is invalid").into())
}

fn field(name: &str) -> QueryResult<AttributeField> {
    AttributeField::parse(name).ok_or_else(|| corrupt("attribute field"))
}

fn uuid(text: &str) -> QueryResult<Uuid> {
    text.parse().map_err(|_| corrupt("id"))
}

fn seq(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

/// A parcel's attributes and open conflicts, as the merge rule needs them.
pub fn state(conn: &mut DbConn, parcel_id: &str) -> QueryResult<AttributeState> {
    let rows: Vec<(String, Option<String>, i64, String)> = parcel_attributes::table
        .filter(parcel_attributes::parcel_id.eq(parcel_id))
        .select((
            parcel_attributes::field,
            parcel_attributes::value,
            parcel_attributes::changed_seq,
            parcel_attributes::device_id,
        ))
        .load(conn)?;
    let mut fields = BTreeMap::new();
    for (name, value, changed_seq, device) in rows {
        fields.insert(
            field(&name)?,
            FieldState {
                value,
                changed_seq: seq(changed_seq),
                writer: Some(uuid(&device)?),
            },
        );
    }
    let open_conflicts = open_conflicts(conn, parcel_id)?
        .into_iter()
        .map(|c| OpenConflict {
            id: c.id,
            field: c.field,
            seq: c.seq,
        })
        .collect();
    Ok(AttributeState {
        fields,
        open_conflicts,
    })
}

#[derive(Queryable)]
struct ConflictRow {
    id: String,
    field: String,
    kept: Option<String>,
    overwritten: Option<String>,
    seq: i64,
}

fn open_conflicts(conn: &mut DbConn, parcel_id: &str) -> QueryResult<Vec<ConflictData>> {
    let rows: Vec<ConflictRow> = attribute_conflicts::table
        .filter(attribute_conflicts::parcel_id.eq(parcel_id))
        .filter(attribute_conflicts::settled_seq.is_null())
        .order(attribute_conflicts::seq.asc())
        .select((
            attribute_conflicts::id,
            attribute_conflicts::field,
            attribute_conflicts::kept,
            attribute_conflicts::overwritten,
            attribute_conflicts::seq,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|row| {
            Ok(ConflictData {
                id: uuid(&row.id)?,
                field: field(&row.field)?,
                kept: row.kept,
                overwritten: row.overwritten,
                seq: seq(row.seq),
            })
        })
        .collect()
}

/// Who made an edit.
pub struct Editor<'a> {
    pub user_id: &'a str,
    pub device_id: &'a str,
    pub mutation_id: &'a str,
}

/// Writes a merge plan under change number `number` and publishes the parcel's attributes;
/// returns the conflicts it opened.
pub fn write(
    conn: &mut DbConn,
    number: i64,
    parcel_id: &str,
    region_path: &str,
    plan: &MergePlan,
    editor: &Editor<'_>,
) -> QueryResult<Vec<Uuid>> {
    let now = Utc::now().naive_utc();
    let mut opened = Vec::new();
    for write in &plan.writes {
        let name = write.field.as_str();
        let previous_mutation: Option<String> = parcel_attributes::table
            .find((parcel_id, name))
            .select(parcel_attributes::mutation_id)
            .get_result(conn)
            .optional()?;
        let conflict_id = if write.conflict {
            let id = Uuid::now_v7();
            diesel::insert_into(attribute_conflicts::table)
                .values((
                    attribute_conflicts::id.eq(id.to_string()),
                    attribute_conflicts::parcel_id.eq(parcel_id),
                    attribute_conflicts::field.eq(name),
                    attribute_conflicts::kept.eq(&write.new),
                    attribute_conflicts::overwritten.eq(&write.old),
                    attribute_conflicts::kept_mutation.eq(editor.mutation_id),
                    attribute_conflicts::overwritten_mutation.eq(&previous_mutation),
                    attribute_conflicts::seq.eq(number),
                ))
                .execute(conn)?;
            opened.push(id);
            Some(id.to_string())
        } else {
            None
        };
        let values = (
            parcel_attributes::value.eq(&write.new),
            parcel_attributes::changed_seq.eq(number),
            parcel_attributes::mutation_id.eq(editor.mutation_id),
            parcel_attributes::device_id.eq(editor.device_id),
        );
        if previous_mutation.is_some() {
            diesel::update(parcel_attributes::table.find((parcel_id, name)))
                .set(values)
                .execute(conn)?;
        } else {
            diesel::insert_into(parcel_attributes::table)
                .values((
                    parcel_attributes::parcel_id.eq(parcel_id),
                    parcel_attributes::field.eq(name),
                    values,
                ))
                .execute(conn)?;
        }
        diesel::insert_into(attribute_history::table)
            .values((
                attribute_history::id.eq(Uuid::now_v7().to_string()),
                attribute_history::parcel_id.eq(parcel_id),
                attribute_history::field.eq(name),
                attribute_history::value.eq(&write.new),
                attribute_history::previous.eq(&write.old),
                attribute_history::seq.eq(number),
                attribute_history::mutation_id.eq(editor.mutation_id),
                attribute_history::author_id.eq(editor.user_id),
                attribute_history::conflict_id.eq(conflict_id),
                attribute_history::recorded_at.eq(now),
            ))
            .execute(conn)?;
    }
    let settled: Vec<String> = plan.settles.iter().map(Uuid::to_string).collect();
    if !settled.is_empty() {
        diesel::update(attribute_conflicts::table.filter(attribute_conflicts::id.eq_any(settled)))
            .set((
                attribute_conflicts::settled_seq.eq(number),
                attribute_conflicts::settled_by.eq(editor.mutation_id),
            ))
            .execute(conn)?;
    }
    publish(conn, number, parcel_id, region_path)?;
    Ok(opened)
}

/// Puts the parcel's attributes and open conflicts in the change feed.
fn publish(conn: &mut DbConn, number: i64, parcel_id: &str, region_path: &str) -> QueryResult<()> {
    let fields: Vec<(String, Option<String>)> = parcel_attributes::table
        .filter(parcel_attributes::parcel_id.eq(parcel_id))
        .select((parcel_attributes::field, parcel_attributes::value))
        .load(conn)?;
    let mut values = BTreeMap::new();
    for (name, value) in fields {
        if let Some(value) = value {
            values.insert(field(&name)?, value);
        }
    }
    let data = AttributesData {
        parcel_id: parcel_id.to_owned(),
        fields: values,
        open_conflicts: open_conflicts(conn, parcel_id)?,
    };
    let data = serde_json::to_string(&data)
        .map_err(|e| diesel::result::Error::SerializationError(e.into()))?;
    changes::write(
        conn,
        number,
        FeedWrite {
            kind: RecordKind::Attributes.as_str(),
            entity_id: parcel_id,
            region_path,
            parcel_id: Some(parcel_id),
            data: Some(&data),
        },
    )
}

/// One value written to an attribute.
#[derive(Debug, Queryable)]
pub struct HistoryRow {
    pub field: String,
    pub value: Option<String>,
    pub previous: Option<String>,
    pub seq: i64,
    pub author: String,
    pub conflict_id: Option<String>,
    pub recorded_at: chrono::NaiveDateTime,
}

/// A parcel's attributes, open conflicts and every value ever written, oldest first.
pub fn with_history(
    conn: &mut DbConn,
    parcel_id: &str,
) -> QueryResult<(AttributeState, Vec<ConflictData>, Vec<HistoryRow>)> {
    let state = state(conn, parcel_id)?;
    let conflicts = open_conflicts(conn, parcel_id)?;
    let history = attribute_history::table
        .inner_join(users::table.on(users::id.eq(attribute_history::author_id)))
        .filter(attribute_history::parcel_id.eq(parcel_id))
        .order(attribute_history::seq.asc())
        .select((
            attribute_history::field,
            attribute_history::value,
            attribute_history::previous,
            attribute_history::seq,
            users::username,
            attribute_history::conflict_id,
            attribute_history::recorded_at,
        ))
        .load(conn)?;
    Ok((state, conflicts, history))
}
