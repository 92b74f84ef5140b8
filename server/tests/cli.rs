//! The `tianzhang` binary as an operator uses it: no configuration, subcommands, flags and
//! environment twins, on SQLite and (when `TIANZHANG_TEST_POSTGRES_URL` is set) PostgreSQL.

// Test helpers panic on unexpected values: that is how a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};

const BIN: &str = env!("CARGO_BIN_EXE_tianzhang");

fn tianzhang<S: AsRef<std::ffi::OsStr>>(dir: &Path, args: &[S], stdin: Option<&str>) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env_remove("TIANZHANG_DATABASE_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    child.wait_with_output().unwrap()
}

fn ok(output: &Output) -> String {
    assert!(
        output.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A running `tianzhang serve`, killed when dropped.
struct Serving {
    child: Child,
    base_url: String,
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `serve` with `args` and waits for the line that says where it listens.
fn serve(dir: &Path, args: &[&str]) -> Serving {
    let mut child = Command::new(BIN)
        .arg("serve")
        .args(args)
        .current_dir(dir)
        .env("TIANZHANG_LISTEN", "127.0.0.1:0")
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(at) = line.find("listening on http://") {
                let url = line[at + "listening on ".len()..]
                    .split_whitespace()
                    .next()
                    .unwrap()
                    .to_owned();
                let _ = tx.send(url);
            }
        }
    });
    let base_url = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the server says where it listens");
    Serving { child, base_url }
}

#[test]
fn serve_without_configuration_creates_its_data_folder_and_answers() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path(), &[]);
    let data = dir.path().join("data");
    assert!(data.join("tianzhang.sqlite3").is_file());
    assert!(data.join("tianzhang.sqlite3-wal").is_file(), "WAL mode");
    assert!(data.join("blobs").is_dir());
    let health = reqwest::blocking::get(format!("{}/healthz", server.base_url)).unwrap();
    assert_eq!(health.status(), 200);
    let ready = reqwest::blocking::get(format!("{}/readyz", server.base_url)).unwrap();
    assert_eq!(ready.status(), 200);
}

/// The first admin of a fresh install comes from the command line, then signs in over HTTP.
fn first_admin_then_login(dir: &Path, global: &[&str]) {
    let with = |args: &[&str]| -> Vec<String> {
        global.iter().chain(args).map(|a| (*a).to_owned()).collect()
    };
    ok(&tianzhang(dir, &with(&["migrate"]), None));
    ok(&tianzhang(
        dir,
        &with(&["region", "add", "--code", "360124", "--name", "进贤县"]),
        None,
    ));
    ok(&tianzhang(
        dir,
        &with(&[
            "region",
            "add",
            "--code",
            "360124100",
            "--name",
            "民和镇",
            "--parent",
            "360124",
        ]),
        None,
    ));
    let created = ok(&tianzhang(
        dir,
        &with(&["user", "add", "--username", "root", "--role", "admin"]),
        Some("first admin password\n"),
    ));
    assert!(created.contains("created root (admin)"), "{created}");
    ok(&tianzhang(
        dir,
        &with(&[
            "user",
            "add",
            "--username",
            "wang",
            "--role",
            "township_reviewer",
            "--region",
            "360124100",
        ]),
        Some("reviewer password\n"),
    ));
    let listed = ok(&tianzhang(dir, &with(&["user", "list"]), None));
    assert!(listed.contains("root\tadmin\t-\tactive"), "{listed}");
    assert!(
        listed.contains("wang\ttownship_reviewer\t360124100\tactive"),
        "{listed}"
    );
    let regions = ok(&tianzhang(dir, &with(&["region", "list"]), None));
    assert!(
        regions.contains("  360124100\t民和镇\ttownship"),
        "{regions}"
    );

    let server = serve(dir, global);
    let client = reqwest::blocking::Client::new();
    let login: serde_json::Value = client
        .post(format!("{}/api/v1/auth/login", server.base_url))
        .json(&serde_json::json!({"username": "root", "password": "first admin password"}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let token = login["access_token"].as_str().expect("an access token");
    let me: serde_json::Value = client
        .get(format!("{}/api/v1/me", server.base_url))
        .bearer_auth(token)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(me["user"]["username"], "root");
    drop(server);

    ok(&tianzhang(dir, &with(&["user", "disable", "wang"]), None));
    let listed = ok(&tianzhang(dir, &with(&["user", "list"]), None));
    assert!(
        listed.contains("wang\ttownship_reviewer\t360124100\tdisabled"),
        "{listed}"
    );
}

#[test]
fn the_first_admin_comes_from_the_command_line_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    first_admin_then_login(dir.path(), &["--data-dir", "county-data"]);
    assert!(dir.path().join("county-data/tianzhang.sqlite3").is_file());
}

#[test]
fn the_same_binary_runs_on_postgresql() {
    let Ok(admin_url) = std::env::var("TIANZHANG_TEST_POSTGRES_URL") else {
        eprintln!(
            "TIANZHANG_TEST_POSTGRES_URL is not set: the PostgreSQL run of this test is in CI"
        );
        return;
    };
    let name = format!("tianzhang_cli_{}", uuid::Uuid::new_v4().simple());
    let mut admin = PgConnection::establish(&admin_url).unwrap();
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .unwrap();
    let url = format!("{}/{name}", admin_url.rsplit_once('/').unwrap().0);
    let dir = tempfile::tempdir().unwrap();
    first_admin_then_login(dir.path(), &["--database-url", &url]);
    // Nothing went to a local SQLite file.
    assert!(!dir.path().join("data/tianzhang.sqlite3").exists());
    admin
        .batch_execute(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .unwrap();
}

#[test]
fn migrate_is_idempotent_and_keys_rotate() {
    let dir = tempfile::tempdir().unwrap();
    let first = ok(&tianzhang(dir.path(), &["migrate"], None));
    assert!(!first.starts_with("0 migration(s)"), "{first}");
    let again = ok(&tianzhang(dir.path(), &["migrate"], None));
    assert!(again.starts_with("0 migration(s) applied"), "{again}");

    // The first key is made when a server first needs it; rotation works without one too.
    ok(&tianzhang(dir.path(), &["keys", "rotate"], None));
    ok(&tianzhang(dir.path(), &["keys", "rotate"], None));
    let keys = ok(&tianzhang(dir.path(), &["keys", "list"], None));
    assert_eq!(keys.lines().count(), 2, "{keys}");
    assert_eq!(
        keys.lines().filter(|l| l.ends_with("active")).count(),
        1,
        "{keys}"
    );
}

#[test]
fn bad_input_is_refused_with_a_message_and_a_failing_exit() {
    let dir = tempfile::tempdir().unwrap();
    let unknown_role = tianzhang(
        dir.path(),
        &["user", "add", "--username", "x", "--role", "superuser"],
        Some("long enough password\n"),
    );
    assert!(!unknown_role.status.success());
    assert!(String::from_utf8_lossy(&unknown_role.stderr).contains("unknown role"));

    let short_password = tianzhang(
        dir.path(),
        &["user", "add", "--username", "x", "--role", "admin"],
        Some("short\n"),
    );
    assert!(!short_password.status.success());
    assert!(String::from_utf8_lossy(&short_password.stderr).contains("at least 8 characters"));

    let missing_config = tianzhang(dir.path(), &["--config", "nope.toml", "migrate"], None);
    assert!(!missing_config.status.success());
    assert!(String::from_utf8_lossy(&missing_config.stderr).contains("nope.toml does not exist"));
}

#[test]
fn configuration_comes_from_a_file_and_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("tianzhang.toml"),
        "data_dir = \"from-file\"\n",
    )
    .unwrap();
    ok(&tianzhang(
        dir.path(),
        &["--config", "tianzhang.toml", "migrate"],
        None,
    ));
    assert!(dir.path().join("from-file/tianzhang.sqlite3").is_file());
    let output = Command::new(BIN)
        .args(["--config", "tianzhang.toml", "migrate"])
        .current_dir(dir.path())
        .env("TIANZHANG_DATA_DIR", "from-env")
        .output()
        .unwrap();
    ok(&output);
    assert!(dir.path().join("from-env/tianzhang.sqlite3").is_file());
}

#[test]
fn serve_demo_loads_jinxian_once_and_prints_the_logins() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(BIN)
        .args(["serve", "--demo"])
        .current_dir(dir.path())
        .env("TIANZHANG_LISTEN", "127.0.0.1:0")
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let lines: Vec<String> = BufReader::new(stderr)
        .lines()
        .map_while(Result::ok)
        .take_while(|line| !line.contains("listening on"))
        .collect();
    let _ = child.kill();
    let _ = child.wait();
    let text = lines.join("\n");
    assert!(
        text.contains("Loaded the Jinxian 2023 demo: 2510 parcels"),
        "{text}"
    );
    for login in ["demo-chief", "demo-reviewer", "demo-auditor", "demo-admin"] {
        assert!(text.contains(&format!("{login}-2023")), "{text}");
    }
    let users = ok(&tianzhang(dir.path(), &["user", "list"], None));
    assert_eq!(users.lines().count(), 4, "{users}");
}

const CAMPAIGN_TOML: &str = r#"
name = "试点"
county_code = "360124"
[[phases]]
kind = "rectification"
starts_on = "2023-07-29"
ends_on = "2023-08-20"
[field_mapping]
default_source_list = "satellite_enforcement"
"#;

fn geojson_list(land_class: &str) -> String {
    serde_json::json!({
        "type": "FeatureCollection",
        "features": [{
            "type": "Feature",
            "properties": {"图斑编号": "WP-1", "村名": "民和村", "地类": land_class},
            "geometry": {"type": "Polygon", "coordinates": [[[116.30, 28.40], [116.301, 28.40], [116.301, 28.401], [116.30, 28.401], [116.30, 28.40]]]}
        }]
    })
    .to_string()
}

#[test]
fn campaigns_and_parcel_lists_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    ok(&tianzhang(
        dir.path(),
        &["region", "add", "--code", "360124", "--name", "进贤县"],
        None,
    ));
    ok(&tianzhang(
        dir.path(),
        &[
            "region",
            "add",
            "--code",
            "360124100",
            "--name",
            "民和镇",
            "--parent",
            "360124",
        ],
        None,
    ));
    ok(&tianzhang(
        dir.path(),
        &[
            "region",
            "add",
            "--code",
            "360124100201",
            "--name",
            "民和村",
            "--parent",
            "360124100",
        ],
        None,
    ));
    std::fs::write(dir.path().join("campaign.toml"), CAMPAIGN_TOML).unwrap();
    let created = ok(&tianzhang(
        dir.path(),
        &["campaign", "add", "campaign.toml"],
        None,
    ));
    assert!(created.contains("created campaign 试点"), "{created}");
    std::fs::write(dir.path().join("list.geojson"), geojson_list("一般耕地")).unwrap();

    let import = ["import", "parcels", "list.geojson", "--campaign", "试点"];
    let dry = ok(&tianzhang(
        dir.path(),
        &[&import[..], &["--dry-run"]].concat(),
        None,
    ));
    assert!(dry.contains("dry run, nothing written"), "{dry}");
    assert!(dry.contains("1 new, 0 changed, 0 unchanged"), "{dry}");
    let first = ok(&tianzhang(dir.path(), &import, None));
    assert!(first.contains("imported: 1 features"), "{first}");
    assert!(first.contains("EPSG:4326"), "{first}");
    let again = ok(&tianzhang(dir.path(), &import, None));
    assert!(again.contains("0 new, 0 changed, 1 unchanged"), "{again}");

    std::fs::write(dir.path().join("list.geojson"), geojson_list("旱地")).unwrap();
    let refused = tianzhang(dir.path(), &import, None);
    assert!(!refused.status.success());
    let out = String::from_utf8_lossy(&refused.stdout);
    assert!(
        out.contains("feature 1 (WP-1) land_class: unknown land class \"旱地\""),
        "{out}"
    );
}
