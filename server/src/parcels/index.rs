//! The in-memory spatial index: which parcel contains a point, or which is nearest and how far.
//!
//! An R-tree over parcel bounding boxes narrows a point to a few candidates; an exact
//! point-in-polygon test decides. Every instance holds its own index and keeps it current with
//! the database through the parcel generation counter: a lookup first reads the committed
//! generation (one indexed row) and, when it is newer than the index, loads the parcels changed
//! since. An import on one instance is therefore seen by the next lookup on every other.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use geo::{Coord, Distance, Euclidean, Intersects, LineString, MultiPolygon, Point, Polygon};
use rstar::{AABB, RTree, RTreeObject};

use super::geometry::{self, WkbError};
use super::repo::{self, IndexRow};
use crate::db::{Database, DbError};

/// Metres per degree of latitude (a lower bound over all latitudes: 110,574 m at the equator),
/// used to bound distances while searching.
const METRES_PER_DEGREE_LATITUDE: f64 = 110_574.0;
/// Beyond this a parcel is not "nearby": the search stops.
const MAX_NEAREST_DISTANCE_M: f64 = 50_000.0;

/// A parcel as the index holds it.
#[derive(Debug, Clone)]
pub struct IndexedParcel {
    pub id: Arc<str>,
    pub campaign_id: Arc<str>,
    pub region_path: Arc<str>,
    shape: Arc<MultiPolygon>,
    envelope: AABB<[f64; 2]>,
}

impl RTreeObject for IndexedParcel {
    type Envelope = AABB<[f64; 2]>;

    fn envelope(&self) -> Self::Envelope {
        self.envelope
    }
}

/// Distances and containment of the bounding box: the R-tree's coarse filter. The exact tests
/// are `covers` and `distance_m`.
impl rstar::PointDistance for IndexedParcel {
    fn distance_2(&self, point: &[f64; 2]) -> f64 {
        self.envelope.distance_2(point)
    }

    fn contains_point(&self, point: &[f64; 2]) -> bool {
        rstar::Envelope::contains_point(&self.envelope, point)
    }
}

impl PartialEq for IndexedParcel {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl IndexedParcel {
    fn from_row(row: IndexRow) -> Result<Self, WkbError> {
        let shape = geometry::from_wkb(&row.geometry)?;
        let bounds = geometry::bounds(&shape).ok_or(WkbError::empty())?;
        Ok(Self {
            id: row.id.into(),
            campaign_id: row.campaign_id.into(),
            region_path: row.region_path.into(),
            envelope: AABB::from_corners(
                [bounds.min().x, bounds.min().y],
                [bounds.max().x, bounds.max().y],
            ),
            shape: Arc::new(shape),
        })
    }

    /// Inside or on the boundary.
    fn covers(&self, lon: f64, lat: f64) -> bool {
        self.shape.intersects(&Point::new(lon, lat))
    }

    /// Distance in metres from a point to the parcel (0 inside), on a plane tangent at the
    /// point: within 0.1 % for the few kilometres that matter here.
    fn distance_m(&self, lon: f64, lat: f64) -> f64 {
        let scale_x = lat.to_radians().cos() * metres_per_degree_longitude_at_equator();
        let project = |c: &Coord| Coord {
            x: (c.x - lon) * scale_x,
            y: (c.y - lat) * METRES_PER_DEGREE_LATITUDE,
        };
        let local = MultiPolygon(
            self.shape
                .0
                .iter()
                .map(|polygon| {
                    let ring =
                        |line: &LineString| line.coords().map(project).collect::<LineString>();
                    Polygon::new(
                        ring(polygon.exterior()),
                        polygon.interiors().iter().map(ring).collect(),
                    )
                })
                .collect(),
        );
        Euclidean.distance(&Point::new(0.0, 0.0), &local)
    }
}

fn metres_per_degree_longitude_at_equator() -> f64 {
    // 2πa / 360 on the CGCS2000 ellipsoid.
    6_378_137.0 * std::f64::consts::PI / 180.0
}

/// The answer to "where is this point".
#[derive(Debug)]
pub struct Located {
    /// Parcels whose polygon contains the point (several where parcels overlap).
    pub containing: Vec<IndexedParcel>,
    /// When none contains it: the nearest parcel within 50 km, and its distance in metres.
    pub nearest: Option<(IndexedParcel, f64)>,
}

/// An immutable snapshot of the index at one generation.
#[derive(Debug, Clone, Default)]
pub struct ParcelIndex {
    tree: RTree<IndexedParcel>,
    envelopes: HashMap<Arc<str>, AABB<[f64; 2]>>,
    generation: i64,
}

impl ParcelIndex {
    pub fn generation(&self) -> i64 {
        self.generation
    }

    pub fn len(&self) -> usize {
        self.tree.size()
    }

    pub fn is_empty(&self) -> bool {
        self.tree.size() == 0
    }

    /// Builds an index from rows in one bulk load.
    pub fn build(rows: Vec<IndexRow>, generation: i64) -> Result<Self, WkbError> {
        let parcels = rows
            .into_iter()
            .map(IndexedParcel::from_row)
            .collect::<Result<Vec<_>, _>>()?;
        let envelopes = parcels
            .iter()
            .map(|p| (Arc::clone(&p.id), p.envelope))
            .collect();
        Ok(Self {
            tree: RTree::bulk_load(parcels),
            envelopes,
            generation,
        })
    }

    /// A new snapshot with changed parcels replaced or added.
    fn with_changes(&self, rows: Vec<IndexRow>, generation: i64) -> Result<Self, WkbError> {
        let mut next = self.clone();
        for row in rows {
            let parcel = IndexedParcel::from_row(row)?;
            if let Some(old) = next.envelopes.get(&parcel.id) {
                let old = *old;
                let id = Arc::clone(&parcel.id);
                next.tree
                    .remove_with_selection_function(SameParcel { id, envelope: old });
            }
            next.envelopes
                .insert(Arc::clone(&parcel.id), parcel.envelope);
            next.tree.insert(parcel);
        }
        next.generation = generation;
        Ok(next)
    }

    /// Parcels that contain the point and pass `keep`.
    pub fn containing<'a>(
        &'a self,
        lon: f64,
        lat: f64,
        keep: impl Fn(&IndexedParcel) -> bool + 'a,
    ) -> impl Iterator<Item = &'a IndexedParcel> + 'a {
        self.tree
            .locate_all_at_point(&[lon, lat])
            .filter(move |p| keep(p) && p.covers(lon, lat))
    }

    /// The parcels containing the point or, if none does, the nearest one that passes `keep`.
    pub fn locate(&self, lon: f64, lat: f64, keep: impl Fn(&IndexedParcel) -> bool) -> Located {
        let keep = &keep;
        let containing: Vec<IndexedParcel> = self.containing(lon, lat, keep).cloned().collect();
        if !containing.is_empty() {
            return Located {
                containing,
                nearest: None,
            };
        }
        Located {
            containing,
            nearest: self.nearest(lon, lat, keep),
        }
    }

    /// Distance in metres from a point to one parcel (0 inside or on its boundary); `None` if
    /// the index does not hold the parcel.
    pub fn distance_to(&self, parcel_id: &str, lon: f64, lat: f64) -> Option<f64> {
        let (id, envelope) = self.envelopes.get_key_value(parcel_id)?;
        let selection = SameParcel {
            id: Arc::clone(id),
            envelope: *envelope,
        };
        let parcel = self.tree.locate_with_selection_function(selection).next()?;
        Some(if parcel.covers(lon, lat) {
            0.0
        } else {
            parcel.distance_m(lon, lat)
        })
    }

    /// Candidates come in order of their bounding box's distance in degrees; each degree is at
    /// least `cos(lat) × 110.57 km`, so once that lower bound passes the best exact distance,
    /// no later candidate can be nearer.
    fn nearest(
        &self,
        lon: f64,
        lat: f64,
        keep: &impl Fn(&IndexedParcel) -> bool,
    ) -> Option<(IndexedParcel, f64)> {
        let mut best: Option<(&IndexedParcel, f64)> = None;
        for (parcel, squared_degrees) in
            self.tree.nearest_neighbor_iter_with_distance_2(&[lon, lat])
        {
            let degrees = squared_degrees.sqrt();
            let lower_bound_m = degrees
                * (lat.abs() + degrees).min(89.0).to_radians().cos()
                * METRES_PER_DEGREE_LATITUDE;
            let bound = best.map_or(MAX_NEAREST_DISTANCE_M, |(_, d)| d);
            if lower_bound_m > bound {
                break;
            }
            if !keep(parcel) {
                continue;
            }
            let distance = parcel.distance_m(lon, lat);
            if distance <= bound && best.is_none_or(|(_, d)| distance < d) {
                best = Some((parcel, distance));
            }
        }
        best.map(|(parcel, distance)| (parcel.clone(), distance))
    }
}

/// Selects the one tree entry of a parcel for removal.
struct SameParcel {
    id: Arc<str>,
    envelope: AABB<[f64; 2]>,
}

impl rstar::SelectionFunction<IndexedParcel> for SameParcel {
    fn should_unpack_parent(&self, envelope: &AABB<[f64; 2]>) -> bool {
        rstar::Envelope::contains_envelope(envelope, &self.envelope)
    }

    fn should_unpack_leaf(&self, leaf: &IndexedParcel) -> bool {
        leaf.id == self.id
    }
}

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error(transparent)]
    Database(#[from] DbError),
    #[error(transparent)]
    Geometry(#[from] WkbError),
}

/// The index an instance serves from, kept current with the database.
pub struct SharedParcelIndex {
    current: RwLock<Arc<ParcelIndex>>,
    /// One refresh at a time; others wait for it and use its result.
    refreshing: tokio::sync::Mutex<()>,
}

impl SharedParcelIndex {
    /// Loads every parcel.
    pub async fn load(db: &Database) -> Result<Self, IndexError> {
        let index = Self {
            current: RwLock::new(Arc::new(ParcelIndex::default())),
            refreshing: tokio::sync::Mutex::new(()),
        };
        index.current(db).await?;
        Ok(index)
    }

    fn snapshot(&self) -> Arc<ParcelIndex> {
        Arc::clone(&self.current.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// The index as of the latest committed generation.
    pub async fn current(&self, db: &Database) -> Result<Arc<ParcelIndex>, IndexError> {
        let committed = db
            .read(|conn| repo::current_generation(conn).map_err(DbError::from))
            .await?;
        if committed <= self.snapshot().generation() {
            return Ok(self.snapshot());
        }
        let _refreshing = self.refreshing.lock().await;
        let held = self.snapshot();
        if committed <= held.generation() {
            return Ok(held);
        }
        let after = held.generation();
        let rows = db
            .read(move |conn| repo::changed_between(conn, after, committed).map_err(DbError::from))
            .await?;
        let next = if held.is_empty() {
            // The first load: one bulk load builds a better tree than many inserts.
            tokio::task::spawn_blocking(move || ParcelIndex::build(rows, committed))
                .await
                .map_err(DbError::from)??
        } else {
            held.with_changes(rows, committed)?
        };
        let next = Arc::new(next);
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = Arc::clone(&next);
        Ok(next)
    }
}
