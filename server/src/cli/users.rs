use std::io::{BufRead, IsTerminal};

use anyhow::{Context, bail};
use clap::Subcommand;

use super::{migrated_database, refuse_invalid};
use crate::auth::{Role, Scope, password, refresh};
use crate::config::Config;
use crate::users::NewUser;
use crate::users::repo::{self, UserChanges};

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user; the password is read from standard input
    Add {
        #[arg(long)]
        username: String,
        /// field_chief, township_reviewer, county_auditor or admin
        #[arg(long)]
        role: Role,
        /// Region code: a village for a field chief, a township for a reviewer, the county
        /// for an auditor; optional for an admin
        #[arg(long)]
        region: Option<String>,
        #[arg(long)]
        display_name: Option<String>,
    },
    /// List users
    List,
    /// Stop a user from signing in; their refresh tokens stop working at once
    Disable { username: String },
    /// Let a disabled user sign in again
    Enable { username: String },
    /// Set a new password, read from standard input; signs the user out everywhere
    SetPassword { username: String },
}

pub async fn run(command: UserCommand, config: &Config) -> anyhow::Result<()> {
    let db = migrated_database(config).await?;
    match command {
        UserCommand::Add {
            username,
            role,
            region,
            display_name,
        } => {
            let new = NewUser {
                username,
                display_name,
                password: read_password()?,
                role,
                region_code: region,
            };
            refuse_invalid(new.validate())?;
            let hash = password::hash(&new.password)?;
            let row = db
                .write(move |conn| {
                    repo::add(conn, &new, &hash, &Scope::Everything).map_err(anyhow::Error::from)
                })
                .await?;
            println!("created {} ({}) with id {}", row.username, row.role, row.id);
        }
        UserCommand::List => {
            let rows = db
                .read(|conn| {
                    repo::list(conn, &Scope::Everything, None, i64::MAX)
                        .map_err(anyhow::Error::from)
                })
                .await?;
            for row in rows {
                let state = if row.disabled { "disabled" } else { "active" };
                let region = row.region_code.as_deref().unwrap_or("-");
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    row.username, row.role, region, state, row.id
                );
            }
        }
        UserCommand::Disable { username } => {
            change(
                &db,
                username,
                UserChanges {
                    disabled: Some(true),
                    ..UserChanges::default()
                },
                true,
            )
            .await?;
        }
        UserCommand::Enable { username } => {
            change(
                &db,
                username,
                UserChanges {
                    disabled: Some(false),
                    ..UserChanges::default()
                },
                false,
            )
            .await?;
        }
        UserCommand::SetPassword { username } => {
            let hash = password::hash(&read_password()?)?;
            let changes = UserChanges {
                password_hash: Some(hash),
                ..UserChanges::default()
            };
            change(&db, username, changes, true).await?;
        }
    }
    Ok(())
}

async fn change(
    db: &crate::db::Database,
    username: String,
    changes: UserChanges,
    sign_out: bool,
) -> anyhow::Result<()> {
    let name = username.clone();
    db.write(move |conn| {
        let user = repo::find_by_username(conn, &username)?
            .with_context(|| format!("no user named {username:?}"))?;
        repo::update(conn, &user.id, &changes, &Scope::Everything)?;
        if sign_out {
            refresh::revoke_user(conn, &user.id)?;
        }
        Ok::<_, anyhow::Error>(())
    })
    .await?;
    println!("updated {name}");
    Ok(())
}

/// Reads one line from standard input: piped in by scripts, typed (without echo) at a terminal.
fn read_password() -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return rpassword::prompt_password("Password: ").context("cannot read the password");
    }
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        bail!("no password on standard input");
    }
    Ok(password)
}
