//! Configuration: built-in defaults, then an optional TOML file, then `TIANZHANG_*`
//! environment variables (`__` separates sections: `TIANZHANG_AUTH__ACCESS_TOKEN_TTL_SECS`),
//! then command-line flags. Secrets are wrapped in [`Secret`] so that neither logs nor `Debug`
//! output ever show them.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

use crate::db::DatabaseUrl;

/// Environment variables read by the test suites, not by the server.
const ENV_NOT_FOR_THE_SERVER: [&str; 3] = ["config", "test_postgres_url", "test_s3_endpoint"];

/// The media types the upload checks can verify; `uploads.media_types` picks among them.
pub const SUPPORTED_MEDIA_TYPES: [&str; 1] = ["image/jpeg"];

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Folder for the embedded database and the photo blobs.
    pub data_dir: PathBuf,
    /// `postgres://...` for PostgreSQL; unset means SQLite in `data_dir`.
    pub database_url: Option<Secret>,
    pub database_max_connections: u32,
    pub listen: SocketAddr,
    /// HTTP worker threads; unset means one per CPU core.
    pub workers: Option<usize>,
    pub log_format: LogFormat,
    /// Take the client address from `Forwarded`/`X-Forwarded-For` (only behind a trusted
    /// reverse proxy, since clients can set these headers themselves).
    pub behind_proxy: bool,
    pub auth: AuthConfig,
    pub limits: Limits,
    pub storage: StorageConfig,
    pub uploads: UploadLimits,
    pub photos: PhotoConfig,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    pub issuer: String,
    pub audience: String,
    pub access_token_ttl_secs: u64,
    /// Long enough for a field chief to work offline for weeks and still sync.
    pub refresh_token_ttl_secs: u64,
    /// An HS256 signing key of at least 32 bytes. Unset means a key generated on first start
    /// and kept in the database, shared by every instance.
    pub signing_secret: Option<Secret>,
    pub login_failure_window_secs: u64,
    pub login_max_failures_per_user: u32,
    pub login_max_failures_per_address: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    pub json_body_bytes: usize,
    /// The largest parcel-list upload (a zipped Shapefile or a GeoJSON file).
    pub import_bytes: usize,
    /// The most mutations one sync push may carry.
    pub push_mutations: u32,
    /// The most changes one sync pull returns.
    pub pull_changes: u32,
}

/// Where photo blobs (and the parts of unfinished uploads) are kept.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorageConfig {
    /// S3-compatible object storage; unset means the local disk, `<data_dir>/blobs`.
    pub s3: Option<S3Config>,
}

/// An S3-compatible bucket (AWS S3, MinIO, Ceph RGW, Garage, ...).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3Config {
    /// `https://host:port` of an S3-compatible service; unset means AWS S3 in `region`.
    #[serde(default)]
    pub endpoint: Option<String>,
    pub bucket: String,
    #[serde(default = "default_s3_region")]
    pub region: String,
    /// With `secret_access_key`; both unset means the instance's own credentials (the
    /// metadata service or web identity, as the AWS SDKs find them).
    #[serde(default)]
    pub access_key_id: Option<String>,
    #[serde(default)]
    pub secret_access_key: Option<Secret>,
    /// Allow a plain `http://` endpoint (a bucket on the same host or a trusted network).
    #[serde(default)]
    pub allow_http: bool,
}

fn default_s3_region() -> String {
    "us-east-1".to_owned()
}

/// Limits of photo uploads (`/api/v1/uploads`), enforced before work is spent.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UploadLimits {
    /// The largest file; a larger `Upload-Length` is refused at creation with `413`.
    pub max_bytes: u64,
    /// The most pixels (width × height, read from the file's header) a photo may have.
    pub max_pixels: u64,
    /// Accepted media types, checked against the file's own bytes.
    pub media_types: Vec<String>,
    /// How long an unfinished upload is kept after its last chunk.
    pub expiry_secs: u64,
    /// The most hashes one `POST /api/v1/uploads/missing` may ask about.
    pub missing_hashes: usize,
}

/// Photo renditions and the checks reviewers see (docs/photos.md).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PhotoConfig {
    /// Long edge of the thumbnail, in pixels.
    pub thumbnail_px: u32,
    /// Long edge of the screen preview, in pixels.
    pub preview_px: u32,
    /// JPEG quality of both renditions (1–100).
    pub rendition_quality: u8,
    /// Photo files analysed at once by one instance; unset means one per CPU core.
    pub analysis_workers: Option<usize>,
    /// How often an idle instance looks for photo work queued by other instances.
    pub poll_interval_ms: u64,
    pub checks: CheckThresholds,
}

/// When a check raises a flag.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CheckThresholds {
    /// A photo's position this far outside its parcel, beyond the reported accuracy, is
    /// flagged.
    pub outside_parcel_m: f64,
    /// The EXIF position and the device's may differ by this much beyond the accuracy.
    pub position_mismatch_m: f64,
    /// Device clocks may run this far ahead of the server's.
    pub clock_tolerance_secs: u64,
    /// The EXIF time and the device's may differ by this much.
    pub time_mismatch_secs: u64,
    /// A photo taken longer than this before it reached the server is flagged.
    pub max_upload_delay_days: u64,
    /// Perceptual hashes (64 bits) this many bits apart or fewer are near-duplicates.
    pub near_duplicate_bits: u32,
    /// Faster than this between a device's consecutive photos is impossible travel.
    pub max_travel_speed_kmh: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("data"),
            database_url: None,
            database_max_connections: 8,
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            workers: None,
            log_format: LogFormat::Text,
            behind_proxy: false,
            auth: AuthConfig::default(),
            limits: Limits::default(),
            storage: StorageConfig::default(),
            uploads: UploadLimits::default(),
            photos: PhotoConfig::default(),
        }
    }
}

impl Default for PhotoConfig {
    fn default() -> Self {
        Self {
            thumbnail_px: 400,
            preview_px: 1280,
            rendition_quality: 80,
            analysis_workers: None,
            poll_interval_ms: 2000,
            checks: CheckThresholds::default(),
        }
    }
}

impl Default for CheckThresholds {
    fn default() -> Self {
        Self {
            outside_parcel_m: 0.0,
            position_mismatch_m: 30.0,
            clock_tolerance_secs: 10 * 60,
            time_mismatch_secs: 10 * 60,
            // Field chiefs may work offline for a week or more before they reach a network.
            max_upload_delay_days: 14,
            near_duplicate_bits: 8,
            // Faster than any vehicle on a county's roads.
            max_travel_speed_kmh: 200.0,
        }
    }
}

impl Default for UploadLimits {
    fn default() -> Self {
        Self {
            max_bytes: 32 * 1024 * 1024,
            max_pixels: 64_000_000,
            media_types: vec!["image/jpeg".to_owned()],
            expiry_secs: 7 * 24 * 3600,
            missing_hashes: 1000,
        }
    }
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            issuer: "tianzhang".to_owned(),
            audience: "tianzhang-api".to_owned(),
            access_token_ttl_secs: 15 * 60,
            refresh_token_ttl_secs: 30 * 24 * 3600,
            signing_secret: None,
            login_failure_window_secs: 15 * 60,
            login_max_failures_per_user: 5,
            login_max_failures_per_address: 30,
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            json_body_bytes: 1024 * 1024,
            import_bytes: 512 * 1024 * 1024,
            push_mutations: 500,
            pull_changes: 1000,
        }
    }
}

/// Values given on the command line; they win over every other source.
#[derive(Debug, Default, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<SocketAddr>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration file {0} does not exist")]
    MissingFile(PathBuf),
    #[error("invalid configuration: {0}")]
    Invalid(String),
    #[error(transparent)]
    Parse(#[from] Box<figment::Error>),
}

impl Config {
    /// Loads the layered configuration and checks it.
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> Result<Self, ConfigError> {
        let mut figment = Figment::new();
        if let Some(file) = file {
            if !file.is_file() {
                return Err(ConfigError::MissingFile(file.to_owned()));
            }
            figment = figment.merge(Toml::file_exact(file));
        }
        let env = Env::prefixed("TIANZHANG_").split("__").filter(|key| {
            let key = key.as_str().to_ascii_lowercase();
            !ENV_NOT_FOR_THE_SERVER.iter().any(|k| key.starts_with(k))
        });
        let config: Config = figment
            .merge(env)
            .merge(Serialized::globals(overrides))
            .extract()
            .map_err(Box::new)?;
        config.validate()?;
        Ok(config)
    }

    /// The database this configuration names: the URL if given, else SQLite in `data_dir`.
    pub fn database(&self) -> DatabaseUrl {
        match &self.database_url {
            Some(url) => DatabaseUrl::parse(url.expose()),
            None => DatabaseUrl::sqlite_in(&self.data_dir),
        }
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |what: &str| Err(ConfigError::Invalid(what.to_owned()));
        if self.auth.access_token_ttl_secs == 0 || self.auth.refresh_token_ttl_secs == 0 {
            return invalid("token lifetimes must be positive");
        }
        if self.auth.access_token_ttl_secs >= self.auth.refresh_token_ttl_secs {
            return invalid("access tokens must expire before refresh tokens");
        }
        if let Some(secret) = &self.auth.signing_secret
            && secret.expose().len() < 32
        {
            return invalid("auth.signing_secret must be at least 32 bytes");
        }
        if self.database_max_connections == 0 {
            return invalid("database_max_connections must be at least 1");
        }
        if self.limits.json_body_bytes < 1024 {
            return invalid("limits.json_body_bytes must be at least 1024");
        }
        if self.limits.push_mutations == 0 || self.limits.pull_changes == 0 {
            return invalid("limits.push_mutations and limits.pull_changes must be at least 1");
        }
        self.validate_uploads()?;
        self.validate_photos()?;
        match &self.storage.s3 {
            Some(s3) => s3.validate(),
            None => Ok(()),
        }
    }

    fn validate_photos(&self) -> Result<(), ConfigError> {
        let invalid = |what: &str| Err(ConfigError::Invalid(what.to_owned()));
        let photos = &self.photos;
        if photos.thumbnail_px < 16 || photos.preview_px < photos.thumbnail_px {
            return invalid(
                "photos.thumbnail_px must be at least 16 and photos.preview_px at least as large",
            );
        }
        if !(1..=100).contains(&photos.rendition_quality) {
            return invalid("photos.rendition_quality must be in 1..=100");
        }
        if photos.analysis_workers == Some(0) || photos.poll_interval_ms == 0 {
            return invalid(
                "photos.analysis_workers and photos.poll_interval_ms must be at least 1",
            );
        }
        let checks = &photos.checks;
        let distances = [checks.outside_parcel_m, checks.position_mismatch_m];
        if distances.iter().any(|d| !(d.is_finite() && *d >= 0.0))
            || !(checks.max_travel_speed_kmh.is_finite() && checks.max_travel_speed_kmh > 0.0)
        {
            return invalid("photos.checks distances must be non-negative and the speed positive");
        }
        if checks.near_duplicate_bits > 64 {
            return invalid("photos.checks.near_duplicate_bits must be at most 64");
        }
        Ok(())
    }

    fn validate_uploads(&self) -> Result<(), ConfigError> {
        let invalid = |what: &str| Err(ConfigError::Invalid(what.to_owned()));
        let uploads = &self.uploads;
        if uploads.max_bytes == 0 || uploads.max_pixels == 0 {
            return invalid("uploads.max_bytes and uploads.max_pixels must be at least 1");
        }
        if uploads.expiry_secs == 0 || uploads.missing_hashes == 0 {
            return invalid("uploads.expiry_secs and uploads.missing_hashes must be at least 1");
        }
        if uploads.media_types.is_empty() {
            return invalid("uploads.media_types must name at least one type");
        }
        if let Some(unknown) = uploads
            .media_types
            .iter()
            .find(|t| !SUPPORTED_MEDIA_TYPES.contains(&t.as_str()))
        {
            return Err(ConfigError::Invalid(format!(
                "uploads.media_types: {unknown:?} cannot be checked; supported: {}",
                SUPPORTED_MEDIA_TYPES.join(", ")
            )));
        }
        Ok(())
    }
}

impl S3Config {
    fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |what: &str| Err(ConfigError::Invalid(what.to_owned()));
        if self.bucket.trim().is_empty() {
            return invalid("storage.s3.bucket must not be empty");
        }
        if self.access_key_id.is_some() != self.secret_access_key.is_some() {
            return invalid(
                "storage.s3.access_key_id and storage.s3.secret_access_key go together",
            );
        }
        if let Some(endpoint) = &self.endpoint {
            if endpoint.starts_with("http://") {
                if !self.allow_http {
                    return invalid(
                        "storage.s3.endpoint is plain http://; set storage.s3.allow_http = true",
                    );
                }
            } else if !endpoint.starts_with("https://") {
                return invalid("storage.s3.endpoint must start with https:// or http://");
            }
        }
        Ok(())
    }
}

/// A string that must not be logged: `Debug` and `Display` print `***`.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[cfg(test)]
// figment's test jail returns its own (large) error type.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_embedded_and_local() {
        let config = Config::default();
        assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(config.database(), DatabaseUrl::sqlite_in(Path::new("data")));
        config.validate().unwrap();
    }

    #[test]
    fn debug_output_never_shows_secrets() {
        let config = Config {
            database_url: Some(Secret::new("postgres://u:hunter2@h/db")),
            auth: AuthConfig {
                signing_secret: Some(Secret::new("x".repeat(40))),
                ..AuthConfig::default()
            },
            ..Config::default()
        };
        let debug = format!("{config:?}");
        assert!(!debug.contains("hunter2"));
        assert!(!debug.contains(&"x".repeat(40)));
    }

    #[test]
    fn file_then_environment_then_flags() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "t.toml",
                "listen = \"127.0.0.1:9000\"\ndata_dir = \"from-file\"\n[auth]\naccess_token_ttl_secs = 60\n",
            )?;
            jail.set_env("TIANZHANG_DATA_DIR", "from-env");
            jail.set_env("TIANZHANG_AUTH__ACCESS_TOKEN_TTL_SECS", "120");
            jail.set_env("TIANZHANG_TEST_POSTGRES_URL", "postgres://ignored");
            let overrides = Overrides {
                listen: Some(SocketAddr::from(([127, 0, 0, 1], 9100))),
                ..Overrides::default()
            };
            let config = Config::load(Some(Path::new("t.toml")), &overrides).unwrap();
            assert_eq!(config.data_dir, PathBuf::from("from-env"));
            assert_eq!(config.auth.access_token_ttl_secs, 120);
            assert_eq!(config.listen.port(), 9100);
            Ok(())
        });
    }

    #[test]
    fn storage_and_upload_limits_from_file_and_environment() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "t.toml",
                "[storage.s3]\nbucket = \"photos\"\nendpoint = \"http://127.0.0.1:9000\"\n\
                 allow_http = true\n[uploads]\nmax_bytes = 1000\n",
            )?;
            jail.set_env("TIANZHANG_STORAGE__S3__ACCESS_KEY_ID", "id");
            jail.set_env("TIANZHANG_STORAGE__S3__SECRET_ACCESS_KEY", "hunter2");
            jail.set_env("TIANZHANG_UPLOADS__MAX_PIXELS", "1000000");
            jail.set_env("TIANZHANG_TEST_S3_ENDPOINT", "http://ignored");
            let config = Config::load(Some(Path::new("t.toml")), &Overrides::default()).unwrap();
            let s3 = config.storage.s3.as_ref().unwrap();
            assert_eq!(s3.bucket, "photos");
            assert_eq!(s3.region, "us-east-1");
            assert_eq!(s3.access_key_id.as_deref(), Some("id"));
            assert_eq!(
                s3.secret_access_key.as_ref().map(Secret::expose),
                Some("hunter2")
            );
            assert!(!format!("{config:?}").contains("hunter2"));
            assert_eq!(config.uploads.max_bytes, 1000);
            assert_eq!(config.uploads.max_pixels, 1_000_000);
            Ok(())
        });
    }

    #[test]
    fn unsafe_storage_and_upload_settings_are_refused() {
        let s3 = |endpoint: &str, allow_http: bool| S3Config {
            endpoint: Some(endpoint.to_owned()),
            bucket: "b".to_owned(),
            region: default_s3_region(),
            access_key_id: None,
            secret_access_key: None,
            allow_http,
        };
        assert!(s3("http://127.0.0.1:9000", false).validate().is_err());
        assert!(s3("http://127.0.0.1:9000", true).validate().is_ok());
        assert!(s3("ftp://x", true).validate().is_err());
        let half_keys = S3Config {
            access_key_id: Some("id".to_owned()),
            ..s3("https://s3.internal", false)
        };
        assert!(half_keys.validate().is_err());
        let mut config = Config::default();
        config.uploads.media_types = vec!["image/gif".to_owned()];
        assert!(config.validate().is_err());
        config.uploads.media_types.clear();
        assert!(config.validate().is_err());
    }

    #[test]
    fn unknown_keys_and_weak_secrets_are_refused() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("t.toml", "lisen = \"127.0.0.1:9000\"\n")?;
            assert!(Config::load(Some(Path::new("t.toml")), &Overrides::default()).is_err());
            jail.create_file("u.toml", "[auth]\nsigning_secret = \"short\"\n")?;
            let err = Config::load(Some(Path::new("u.toml")), &Overrides::default());
            assert!(matches!(err, Err(ConfigError::Invalid(_))));
            Ok(())
        });
    }
}
