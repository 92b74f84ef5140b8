//! Test support: a real Tianzhang server on a random loopback port, on its own database.
//!
//! Every test gets a fresh database: an SQLite file in a temporary folder by default, or,
//! when `TIANZHANG_TEST_POSTGRES_URL` names a PostgreSQL server, a database cloned from a
//! migrated template (see [`db`]).

// Test support fails the test that uses it when set-up goes wrong: panicking is the point.
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod db;
pub mod exif;
pub mod fixtures;
pub mod large_photos;
pub mod parcels;
pub mod photos;
pub mod shapefile;
pub mod simulation;
pub mod storage;
pub mod sync;

use std::net::TcpListener;
use std::sync::Arc;
use std::thread::JoinHandle;

use actix_web::dev::ServerHandle;

use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde::Deserialize;
use serde_json::Value;
use tianzhang_server::auth::{Role, Scope, password};
use tianzhang_server::config::{Config, Secret, StorageConfig};
use tianzhang_server::state::AppState;
use tianzhang_server::users::NewUser;
use tianzhang_server::users::repo as users_repo;
use tianzhang_server::{server, telemetry};

pub use db::TestDb;

/// Builds a [`TestApp`] with adjusted configuration.
pub struct TestAppBuilder {
    db: Option<Arc<TestDb>>,
    storage: Option<StorageConfig>,
    tweak: Box<dyn FnOnce(&mut Config)>,
}

impl TestAppBuilder {
    /// Changes the configuration before the server starts.
    pub fn config(mut self, tweak: impl FnOnce(&mut Config) + 'static) -> Self {
        self.tweak = Box::new(tweak);
        self
    }

    /// Runs on the database (and blob storage) of another test app, as a second instance
    /// would.
    pub fn sharing_database_of(mut self, other: &TestApp) -> Self {
        self.db = Some(Arc::clone(&other.db));
        self.storage = Some(other.state.config.storage.clone());
        self
    }

    pub async fn spawn(self) -> TestApp {
        // Server logs only on request (`TEST_LOG=1`), so that test output stays readable.
        if std::env::var_os("TEST_LOG").is_some() {
            telemetry::init(tianzhang_server::config::LogFormat::Text);
        }
        let db = match self.db {
            Some(db) => db,
            None => Arc::new(TestDb::new().await),
        };
        let mut config = Config {
            data_dir: db.data_dir().to_owned(),
            database_url: Some(Secret::new(db.url())),
            database_max_connections: 4,
            workers: Some(1),
            storage: match self.storage {
                Some(storage) => storage,
                None => storage::for_test().await,
            },
            ..Config::default()
        };
        (self.tweak)(&mut config);
        let state = server::prepare(config).await.expect("server prepares");
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let address = format!("http://{}", listener.local_addr().expect("local address"));
        let server = ServerThread::start(state.clone(), listener);
        TestApp {
            address,
            client: reqwest::Client::new(),
            _server: server,
            state,
            db,
        }
    }
}

/// The server under test, on a thread of its own, so that it can be stopped and joined when
/// the test ends: a server left running past its test would keep its database pool (and
/// libpq's TLS sessions) alive into process exit, where they race the C library's clean-up.
struct ServerThread {
    handle: ServerHandle,
    thread: Option<JoinHandle<()>>,
}

impl ServerThread {
    fn start(state: AppState, listener: TcpListener) -> ServerThread {
        let (handle_tx, handle_rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = server::run(state, listener).expect("server starts");
                handle_tx
                    .send(server.handle())
                    .expect("test waits for the handle");
                server.await.expect("server runs");
            });
        });
        let handle = handle_rx.recv().expect("server thread starts");
        ServerThread {
            handle,
            thread: Some(thread),
        }
    }
}

impl Drop for ServerThread {
    fn drop(&mut self) {
        // `stop` sends its command at once; the returned future only waits for completion,
        // which joining the thread does too.
        drop(self.handle.stop(false));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A running server and a client for it.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    /// The server's own state: tests use it to arrange data directly.
    // Dropped in this order: the server stops before its state and database go.
    _server: ServerThread,
    pub state: AppState,
    db: Arc<TestDb>,
}

/// A user created for a test, with the password it was created with.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: String,
    pub username: String,
    pub password: String,
    pub role: Role,
}

/// An OAuth token response.
#[derive(Debug, Clone, Deserialize)]
pub struct Tokens {
    pub access_token: String,
    pub token_type: String,
    pub expires_in: u64,
    pub refresh_token: String,
}

impl TestApp {
    pub fn builder() -> TestAppBuilder {
        TestAppBuilder {
            db: None,
            storage: None,
            tweak: Box::new(|_| {}),
        }
    }

    /// A server with default configuration and the fixture regions.
    pub async fn spawn() -> TestApp {
        let app = Self::builder().spawn().await;
        app.seed_regions().await;
        app
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.client.request(method, self.url(path))
    }

    /// A request carrying `token` as its bearer token.
    pub fn authed(&self, method: Method, path: &str, token: &str) -> RequestBuilder {
        self.request(method, path).bearer_auth(token)
    }

    /// Adds the fixture regions (see [`fixtures`]).
    pub async fn seed_regions(&self) {
        fixtures::seed_regions(&self.state.db).await;
    }

    /// Creates a user directly in the database. The region is the fixture region for the
    /// role unless one is given.
    pub async fn create_user(&self, role: Role, region: Option<&str>) -> TestUser {
        let region = region
            .map(str::to_owned)
            .or_else(|| fixtures::home_region(role).map(str::to_owned));
        let username = format!(
            "{}-{}",
            role.as_str(),
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        );
        let password = format!("pw-{username}-secret");
        let new = NewUser {
            username: username.clone(),
            display_name: None,
            password: password.clone(),
            role,
            region_code: region,
        };
        let hash = password::hash(&password).expect("hash");
        let row = self
            .state
            .db
            .write(move |conn| {
                users_repo::add(conn, &new, &hash, &Scope::Everything)
                    .map_err(|e| anyhow::anyhow!("{e}"))
            })
            .await
            .expect("create test user");
        TestUser {
            id: row.id,
            username,
            password,
            role,
        }
    }

    /// `GET path` with `token`; asserts `200 OK` and returns the JSON body.
    pub async fn get_json(&self, path: &str, token: &str) -> Value {
        let response = self
            .authed(Method::GET, path, token)
            .send()
            .await
            .expect("GET request");
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        response.json().await.expect("JSON body")
    }

    /// Uploads a parcel list to a campaign's imports endpoint.
    pub async fn upload_list(
        &self,
        token: &str,
        campaign: &str,
        query: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> Response {
        self.authed(
            Method::POST,
            &format!("/api/v1/campaigns/{campaign}/imports{query}"),
            token,
        )
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("upload request")
    }

    /// A login attempt with any username and password.
    pub async fn try_login(&self, username: &str, password: &str) -> Response {
        self.request(Method::POST, "/api/v1/auth/login")
            .json(&serde_json::json!({"username": username, "password": password}))
            .send()
            .await
            .expect("login request")
    }

    pub async fn login(&self, user: &TestUser) -> Tokens {
        let response = self.try_login(&user.username, &user.password).await;
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "login of {}",
            user.username
        );
        response.json().await.expect("token response")
    }

    /// Creates a user of `role` in its fixture region and signs them in.
    pub async fn signed_in(&self, role: Role) -> (TestUser, Tokens) {
        let user = self.create_user(role, None).await;
        let tokens = self.login(&user).await;
        (user, tokens)
    }
}

/// Asserts that a response is a problem document with `status` and `code`, and returns it.
pub async fn expect_problem(response: Response, status: StatusCode, code: &str) -> Value {
    assert_eq!(response.status(), status, "status of {}", response.url());
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        content_type.starts_with("application/problem+json"),
        "content type {content_type}"
    );
    let request_id = response
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body: Value = response.json().await.expect("problem body is JSON");
    assert_eq!(body["code"], code, "problem {body}");
    assert_eq!(body["status"], status.as_u16());
    assert_eq!(body["type"], format!("urn:tianzhang:problem:{code}"));
    assert_eq!(
        body["request_id"].as_str(),
        request_id.as_deref(),
        "request id in body and header"
    );
    body
}
