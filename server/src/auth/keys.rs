//! JWT access tokens and the keys that sign them.
//!
//! Keys live in the database so that every instance on the same database signs and verifies
//! with the same ones. The newest unretired key signs; a retired key keeps verifying until
//! every token it can have signed has expired. A key given in the configuration signs instead
//! of the stored ones, which then still verify.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use base64::Engine;
use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{Role, Scope};
use crate::config::AuthConfig;
use crate::db::schema::signing_keys;
use crate::db::{Database, DbConn, DbError};

/// The only algorithm we sign with and the only one the verifier accepts.
const ALGORITHM: Algorithm = Algorithm::HS256;
const SECRET_BYTES: usize = 32;
/// How often an instance looks for keys another instance added or retired.
const RELOAD_INTERVAL: Duration = Duration::from_secs(60);
/// The least time between reloads triggered by an unknown `kid`, so that forged tokens cannot
/// make every request hit the database, while a key another instance has just added is
/// picked up within a second.
pub const UNKNOWN_KID_RELOAD_INTERVAL: Duration = Duration::from_secs(1);
/// Clock difference tolerated between instances and devices when checking `exp`.
const LEEWAY_SECS: u64 = 30;

/// The claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    pub aud: String,
    /// The user's id.
    pub sub: String,
    pub iat: i64,
    pub exp: i64,
    pub username: String,
    pub role: Role,
    pub scope: Scope,
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("the token is malformed")]
    Malformed,
    #[error("the token was signed with a key this server does not know")]
    UnknownKey,
    #[error("the token is invalid: {0}")]
    Invalid(#[from] jsonwebtoken::errors::Error),
    #[error(transparent)]
    Database(#[from] DbError),
    #[error("cannot sign the token: {0}")]
    Signing(jsonwebtoken::errors::Error),
}

struct Key {
    kid: String,
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl Key {
    fn new(kid: String, secret: &[u8]) -> Result<Self, TokenError> {
        Ok(Self {
            kid,
            encoding: EncodingKey::from_secret(secret).map_err(TokenError::Signing)?,
            decoding: DecodingKey::from_secret(secret).map_err(TokenError::Signing)?,
        })
    }
}

struct Loaded {
    signing: Arc<Key>,
    verifying: HashMap<String, Arc<Key>>,
    loaded_at: Instant,
}

pub struct KeyRing {
    db: Database,
    issuer: String,
    audience: String,
    access_ttl: Duration,
    configured: Option<Arc<Key>>,
    validation: Validation,
    loaded: RwLock<Loaded>,
}

impl KeyRing {
    /// Loads the keys, generating the first one on a fresh database.
    pub async fn open(db: Database, config: &AuthConfig) -> Result<Self, TokenError> {
        let access_ttl = Duration::from_secs(config.access_token_ttl_secs);
        let configured = match &config.signing_secret {
            Some(secret) => {
                let digest = Sha256::digest(secret.expose().as_bytes());
                let kid = format!("config-{}", hex_prefix(&digest, 6));
                Some(Arc::new(Key::new(kid, secret.expose().as_bytes())?))
            }
            None => None,
        };
        if configured.is_none() {
            db.write(|conn| ensure_active_key(conn).map_err(DbError::from))
                .await?;
        }
        let loaded = load(&db, access_ttl, configured.as_ref()).await?;

        let mut validation = Validation::new(ALGORITHM);
        validation.set_issuer(&[&config.issuer]);
        validation.set_audience(&[&config.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = LEEWAY_SECS;

        Ok(Self {
            db,
            issuer: config.issuer.clone(),
            audience: config.audience.clone(),
            access_ttl,
            configured,
            validation,
            loaded: RwLock::new(loaded),
        })
    }

    pub fn access_ttl(&self) -> Duration {
        self.access_ttl
    }

    /// Signs an access token for a user with the current signing key.
    pub async fn issue(
        &self,
        user_id: &str,
        username: &str,
        role: Role,
        scope: Scope,
    ) -> Result<String, TokenError> {
        if self.read().loaded_at.elapsed() > RELOAD_INTERVAL {
            self.reload().await?;
        }
        let now = Utc::now().timestamp();
        let claims = AccessClaims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: user_id.to_owned(),
            iat: now,
            exp: now + i64::try_from(self.access_ttl.as_secs()).unwrap_or(i64::MAX),
            username: username.to_owned(),
            role,
            scope,
        };
        let key = Arc::clone(&self.read().signing);
        let mut header = Header::new(ALGORITHM);
        header.kid = Some(key.kid.clone());
        jsonwebtoken::encode(&header, &claims, &key.encoding).map_err(TokenError::Signing)
    }

    /// Checks signature, algorithm, issuer, audience and expiry, and returns the claims.
    pub async fn verify(&self, token: &str) -> Result<AccessClaims, TokenError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Malformed)?;
        if header.alg != ALGORITHM {
            return Err(TokenError::Invalid(
                jsonwebtoken::errors::ErrorKind::InvalidAlgorithm.into(),
            ));
        }
        let kid = header.kid.ok_or(TokenError::UnknownKey)?;
        let key = match self.find(&kid) {
            Some(key) => key,
            None if self.read().loaded_at.elapsed() > UNKNOWN_KID_RELOAD_INTERVAL => {
                self.reload().await?;
                self.find(&kid).ok_or(TokenError::UnknownKey)?
            }
            None => return Err(TokenError::UnknownKey),
        };
        let data = jsonwebtoken::decode::<AccessClaims>(token, &key.decoding, &self.validation)?;
        Ok(data.claims)
    }

    fn find(&self, kid: &str) -> Option<Arc<Key>> {
        self.read().verifying.get(kid).cloned()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Loaded> {
        self.loaded.read().unwrap_or_else(|p| p.into_inner())
    }

    async fn reload(&self) -> Result<(), TokenError> {
        let fresh = load(&self.db, self.access_ttl, self.configured.as_ref()).await?;
        *self.loaded.write().unwrap_or_else(|p| p.into_inner()) = fresh;
        Ok(())
    }
}

/// A stored key, as listed by `tianzhang keys list`.
#[derive(Debug, Queryable)]
pub struct StoredKey {
    pub kid: String,
    pub algorithm: String,
    pub created_at: NaiveDateTime,
    pub retired_at: Option<NaiveDateTime>,
}

/// Adds a new signing key and retires the others; tokens they signed keep verifying until
/// they expire. Returns the new key id.
pub fn rotate(conn: &mut DbConn) -> QueryResult<String> {
    let now = Utc::now().naive_utc();
    diesel::update(signing_keys::table.filter(signing_keys::retired_at.is_null()))
        .set(signing_keys::retired_at.eq(now))
        .execute(conn)?;
    insert_new_key(conn, now)
}

pub fn list(conn: &mut DbConn) -> QueryResult<Vec<StoredKey>> {
    signing_keys::table
        .select((
            signing_keys::kid,
            signing_keys::algorithm,
            signing_keys::created_at,
            signing_keys::retired_at,
        ))
        .order(signing_keys::created_at.desc())
        .load(conn)
}

fn ensure_active_key(conn: &mut DbConn) -> QueryResult<()> {
    let active: i64 = signing_keys::table
        .filter(signing_keys::retired_at.is_null())
        .count()
        .get_result(conn)?;
    if active == 0 {
        insert_new_key(conn, Utc::now().naive_utc())?;
    }
    Ok(())
}

fn insert_new_key(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<String> {
    let mut secret = [0u8; SECRET_BYTES];
    rand::rng().fill_bytes(&mut secret);
    let mut kid_bytes = [0u8; 8];
    rand::rng().fill_bytes(&mut kid_bytes);
    let kid = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(kid_bytes);
    diesel::insert_into(signing_keys::table)
        .values((
            signing_keys::kid.eq(&kid),
            signing_keys::algorithm.eq("HS256"),
            signing_keys::secret.eq(secret.as_slice()),
            signing_keys::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(kid)
}

/// Reads the keys that may still verify a token: the unretired ones and those retired less
/// than one token lifetime (plus the reload interval other instances may lag by) ago.
async fn load(
    db: &Database,
    access_ttl: Duration,
    configured: Option<&Arc<Key>>,
) -> Result<Loaded, TokenError> {
    let grace = chrono::Duration::from_std(access_ttl + RELOAD_INTERVAL + RELOAD_INTERVAL)
        .unwrap_or(chrono::Duration::MAX);
    let oldest_useful = Utc::now().naive_utc() - grace;
    let rows: Vec<(String, Vec<u8>, Option<NaiveDateTime>)> = db
        .read(move |conn| {
            signing_keys::table
                .select((
                    signing_keys::kid,
                    signing_keys::secret,
                    signing_keys::retired_at,
                ))
                .filter(
                    signing_keys::retired_at
                        .is_null()
                        .or(signing_keys::retired_at.gt(oldest_useful)),
                )
                .order((signing_keys::created_at.desc(), signing_keys::kid.desc()))
                .load(conn)
                .map_err(DbError::from)
        })
        .await?;

    let mut verifying = HashMap::with_capacity(rows.len() + 1);
    for (kid, secret, _) in &rows {
        verifying.insert(kid.clone(), Arc::new(Key::new(kid.clone(), secret)?));
    }
    let newest_active = rows
        .iter()
        .find(|(_, _, retired)| retired.is_none())
        .and_then(|(kid, _, _)| verifying.get(kid).cloned());
    let signing = match (configured, newest_active) {
        (Some(key), _) => Arc::clone(key),
        (None, Some(key)) => key,
        (None, None) => return Err(TokenError::UnknownKey),
    };
    verifying.insert(signing.kid.clone(), Arc::clone(&signing));
    Ok(Loaded {
        signing,
        verifying,
        loaded_at: Instant::now(),
    })
}

fn hex_prefix(bytes: &[u8], len: usize) -> String {
    bytes.iter().take(len).map(|b| format!("{b:02x}")).collect()
}
