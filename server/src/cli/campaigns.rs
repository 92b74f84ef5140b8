use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;

use super::{migrated_database, refuse_invalid};
use crate::campaigns::Campaign;
use crate::campaigns::model::CampaignSpec;
use crate::campaigns::repo;
use crate::config::Config;

#[derive(Debug, Subcommand)]
pub enum CampaignCommand {
    /// Create a campaign from a JSON or TOML file (name, county_code, phases, deadlines,
    /// targets, optional field_mapping; see docs/parcels.md)
    Add {
        /// The campaign file (.json or .toml)
        file: PathBuf,
    },
    /// List campaigns
    List,
}

pub async fn run(command: CampaignCommand, config: &Config) -> anyhow::Result<()> {
    let db = migrated_database(config).await?;
    match command {
        CampaignCommand::Add { file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let spec: CampaignSpec = if file.extension().is_some_and(|e| e == "toml") {
                toml::from_str(&text)
                    .with_context(|| format!("{} is not a campaign", file.display()))?
            } else {
                serde_json::from_str(&text)
                    .with_context(|| format!("{} is not a campaign", file.display()))?
            };
            refuse_invalid(spec.validate())?;
            let row = db
                .write(move |conn| repo::add(conn, &spec).map_err(anyhow::Error::from))
                .await?;
            println!("created campaign {} ({})", row.name, row.id);
        }
        CampaignCommand::List => {
            let rows = db
                .read(|conn| repo::list(conn).map_err(anyhow::Error::from))
                .await?;
            for row in rows {
                let campaign = Campaign::try_from(row)?;
                println!(
                    "{}\t{}\t{}",
                    campaign.id, campaign.spec.county_code, campaign.spec.name
                );
            }
        }
    }
    Ok(())
}
