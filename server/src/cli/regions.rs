use clap::Subcommand;

use super::{migrated_database, refuse_invalid};
use crate::auth::Scope;
use crate::config::Config;
use crate::regions::NewRegion;
use crate::regions::repo::{self, RegionFilter};

#[derive(Debug, Subcommand)]
pub enum RegionCommand {
    /// Add a region; without --parent it is a county
    Add {
        /// Administrative division code (6 to 12 digits)
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: String,
        /// The parent region's code: a county for a township, a township for a village
        #[arg(long)]
        parent: Option<String>,
    },
    /// List all regions in tree order
    List,
}

pub async fn run(command: RegionCommand, config: &Config) -> anyhow::Result<()> {
    let db = migrated_database(config).await?;
    match command {
        RegionCommand::Add { code, name, parent } => {
            let new = NewRegion {
                code,
                name,
                parent_code: parent,
            };
            refuse_invalid(new.validate())?;
            let row = db
                .write(move |conn| {
                    repo::add(conn, &new, &Scope::Everything).map_err(anyhow::Error::from)
                })
                .await?;
            println!("added {} {} ({})", row.code, row.name, row.level);
        }
        RegionCommand::List => {
            let filter = RegionFilter {
                limit: i64::MAX,
                ..RegionFilter::default()
            };
            let rows = db
                .read(move |conn| {
                    repo::list(conn, &Scope::Everything, &filter).map_err(anyhow::Error::from)
                })
                .await?;
            for row in rows {
                let depth = row.path.matches('/').count().saturating_sub(2);
                println!(
                    "{}{}\t{}\t{}",
                    "  ".repeat(depth),
                    row.code,
                    row.name,
                    row.level
                );
            }
        }
    }
    Ok(())
}
