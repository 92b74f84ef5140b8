use clap::Subcommand;

use super::migrated_database;
use crate::auth::keys;
use crate::config::Config;

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Start signing with a new key; tokens signed by the old one keep working until they
    /// expire. Every instance picks the new key up within a minute.
    Rotate,
    /// List the stored signing keys
    List,
}

pub async fn run(command: KeysCommand, config: &Config) -> anyhow::Result<()> {
    let db = migrated_database(config).await?;
    match command {
        KeysCommand::Rotate => {
            let kid = db
                .write(|conn| keys::rotate(conn).map_err(anyhow::Error::from))
                .await?;
            println!("now signing with key {kid}");
            if config.auth.signing_secret.is_some() {
                println!(
                    "note: auth.signing_secret is configured and signs instead of stored keys"
                );
            }
        }
        KeysCommand::List => {
            let keys = db
                .read(|conn| keys::list(conn).map_err(anyhow::Error::from))
                .await?;
            for key in keys {
                let state = key
                    .retired_at
                    .map_or_else(|| "active".to_owned(), |at| format!("retired {at}"));
                println!(
                    "{}\t{}\t{}\t{}",
                    key.kid, key.algorithm, key.created_at, state
                );
            }
        }
    }
    Ok(())
}
