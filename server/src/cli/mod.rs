//! The `tianzhang` command line: serve, migrate, and the administration an operator does
//! from a shell (users, regions, signing keys).

mod campaigns;
mod import;
mod keys;
mod regions;
mod users;

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::config::{Config, Overrides};
use crate::demo::DemoLoad;
use crate::{server, telemetry};

#[derive(Debug, Parser)]
#[command(
    name = "tianzhang",
    version,
    about = "Evidence of restored farmland, from the field to the county"
)]
struct Cli {
    /// Folder for the embedded database and photo blobs [env: TIANZHANG_DATA_DIR] [default: data]
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Database URL: postgres://... for PostgreSQL; unset means SQLite in the data folder
    /// [env: TIANZHANG_DATABASE_URL]
    #[arg(long, global = true, value_name = "URL")]
    database_url: Option<String>,
    /// A TOML configuration file (see docs/configuration.md)
    #[arg(long, global = true, env = "TIANZHANG_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the HTTP server (migrating the database first)
    Serve {
        /// Address to listen on [env: TIANZHANG_LISTEN] [default: 127.0.0.1:8080]
        #[arg(long, value_name = "ADDR:PORT")]
        listen: Option<SocketAddr>,
        /// On an empty database, load the Jinxian 2023 demo (regions, campaign, parcels and
        /// one user per role) and print the demo logins
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending database migrations and exit
    Migrate,
    /// Manage user accounts
    User {
        #[command(subcommand)]
        command: users::UserCommand,
    },
    /// Manage the county, township and village regions
    Region {
        #[command(subcommand)]
        command: regions::RegionCommand,
    },
    /// Manage campaigns
    Campaign {
        #[command(subcommand)]
        command: campaigns::CampaignCommand,
    },
    /// Import data: parcel lists (Shapefile or GeoJSON)
    Import {
        #[command(subcommand)]
        command: import::ImportCommand,
    },
    /// Manage the keys that sign access tokens
    Keys {
        #[command(subcommand)]
        command: keys::KeysCommand,
    },
    /// Print the OpenAPI document of the HTTP API
    Openapi,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match actix_web::rt::System::new().block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let listen = match &cli.command {
        Command::Serve { listen, .. } => *listen,
        _ => None,
    };
    let overrides = Overrides {
        data_dir: cli.data_dir,
        database_url: cli.database_url,
        listen,
    };
    let config = Config::load(cli.config.as_deref(), &overrides)?;
    telemetry::init(config.log_format);

    match cli.command {
        Command::Serve { demo, .. } => serve(config, demo).await,
        Command::Migrate => {
            let db = server::open_database(&config).await?;
            let applied = db.migrate().await?;
            println!("{} migration(s) applied", applied.len());
            Ok(())
        }
        Command::User { command } => users::run(command, &config).await,
        Command::Region { command } => regions::run(command, &config).await,
        Command::Campaign { command } => campaigns::run(command, &config).await,
        Command::Import { command } => import::run(command, &config).await,
        Command::Keys { command } => keys::run(command, &config).await,
        Command::Openapi => {
            println!(
                "{}",
                serde_json::to_string_pretty(&crate::http::openapi_document())?
            );
            Ok(())
        }
    }
}

async fn serve(config: Config, demo: bool) -> anyhow::Result<()> {
    let listener = TcpListener::bind(config.listen)
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    if demo {
        load_demo(&config).await?;
    }
    // The bound address, not the configured one: port 0 picks a free port.
    let address = listener.local_addr()?;
    let state = server::prepare(config).await?;
    tracing::info!(
        backend = state.db.backend().as_str(),
        "Tianzhang listening on http://{address}"
    );
    server::run(state, listener)?.await?;
    Ok(())
}

async fn load_demo(config: &Config) -> anyhow::Result<()> {
    let db = migrated_database(config).await?;
    match crate::demo::load_into_empty(&db).await? {
        DemoLoad::Skipped => {
            eprintln!("The database already has regions: the demo was not loaded.");
        }
        DemoLoad::Loaded { users, parcels } => {
            eprintln!("Loaded the Jinxian 2023 demo: {parcels} parcels. Demo logins:");
            for user in users {
                let region = user.region_code.as_deref().unwrap_or("whole installation");
                eprintln!(
                    "  {:<14} password {:<20} {} ({region})",
                    user.username, user.password, user.role
                );
            }
        }
    }
    Ok(())
}

/// Turns field errors into one message, `field: why; field: why`.
fn refuse_invalid(checked: Result<(), Vec<crate::error::FieldError>>) -> anyhow::Result<()> {
    checked.map_err(|errors| {
        let text: Vec<String> = errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect();
        anyhow::anyhow!("{}", text.join("; "))
    })
}

/// Opens the configured database and applies pending migrations, for the admin commands.
async fn migrated_database(config: &Config) -> anyhow::Result<crate::db::Database> {
    let db = server::open_database(config).await?;
    db.migrate().await?;
    Ok(db)
}
