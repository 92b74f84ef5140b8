use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, bail};
use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};
use sha2::{Digest, Sha256};

use super::migrated_database;
use crate::campaigns::repo as campaigns_repo;
use crate::config::Config;
use crate::parcels::geodesy::SourceCrs;
use crate::parcels::import::read::{self, ReadOptions};
use crate::parcels::import::{
    self, FieldMapping, ImportOptions, ImportOutcome, ImportReport, ImportSource,
};

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import a parcel list: a GeoJSON file, a .shp (with its .dbf, .prj, .cpg), a folder
    /// holding one, or a .zip of them
    Parcels {
        file: PathBuf,
        /// The campaign's name
        #[arg(long)]
        campaign: String,
        /// A TOML or JSON field mapping (see docs/parcels.md); default: the campaign's
        #[arg(long)]
        mapping: Option<PathBuf>,
        /// Check and compare only; write nothing
        #[arg(long)]
        dry_run: bool,
        /// An EPSG code replacing the coordinate system the file declares (or lacks)
        #[arg(long, value_name = "EPSG")]
        crs: Option<u32>,
        /// The DBF text encoding when the file's own declaration is wrong (GBK, UTF-8, ...)
        #[arg(long)]
        encoding: Option<String>,
    },
}

pub async fn run(command: ImportCommand, config: &Config) -> anyhow::Result<()> {
    let ImportCommand::Parcels {
        file,
        campaign,
        mapping,
        dry_run,
        crs,
        encoding,
    } = command;
    let started = Instant::now();
    let db = migrated_database(config).await?;
    let campaign = db
        .read(move |conn| {
            campaigns_repo::find_by_name(conn, &campaign).map_err(anyhow::Error::from)
        })
        .await?
        .context("no campaign of that name: see `tianzhang campaign list`")?;
    let mapping = mapping.map(|path| read_mapping(&path)).transpose()?;
    let crs = crs.map(SourceCrs::from_epsg).transpose()?;

    let progress = progress_bar();
    let (dataset, file_sha256) = {
        let file = file.clone();
        let progress = progress.clone();
        tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
            let options = ReadOptions {
                dbf_encoding: encoding,
                ..ReadOptions::default()
            };
            let dataset = read::read_path(&file, &options, &mut |done, total| {
                progress.set_length(total as u64);
                progress.set_position(done as u64);
            })
            .with_context(|| format!("cannot read {}", file.display()))?;
            Ok((dataset, file_digest(&file)?))
        })
        .await??
    };
    progress.finish_and_clear();
    eprintln!(
        "read {} features ({} text) in {:.1} s; checking and writing...",
        dataset.features.len(),
        dataset.text_encoding,
        started.elapsed().as_secs_f64()
    );
    let source = ImportSource {
        dataset,
        file_name: file.display().to_string(),
        file_sha256,
    };
    let options = ImportOptions {
        mapping,
        crs,
        dry_run,
        imported_by: "cli".to_owned(),
    };
    let report = import::import(&db, campaign, source, options).await?;
    print_report(&report, started.elapsed().as_secs_f64());
    if report.outcome == ImportOutcome::Refused {
        bail!("nothing was imported: fix the problems above and import again");
    }
    Ok(())
}

fn read_mapping(path: &PathBuf) -> anyhow::Result<FieldMapping> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    if path.extension().is_some_and(|e| e == "json") {
        Ok(serde_json::from_str(&text)?)
    } else {
        Ok(toml::from_str(&text)?)
    }
}

/// A progress bar on a terminal; hidden when standard error is a file or a pipe.
fn progress_bar() -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(0);
    if let Ok(style) = ProgressStyle::with_template("reading {bar:40} {pos}/{len} features ({eta})")
    {
        bar.set_style(style);
    }
    bar
}

/// The SHA-256 of what was imported: a file's bytes, or a folder's .shp.
fn file_digest(path: &PathBuf) -> anyhow::Result<String> {
    let target = if path.is_dir() {
        std::fs::read_dir(path)?
            .flatten()
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("shp")))
            .unwrap_or_else(|| path.clone())
    } else {
        path.clone()
    };
    let mut hasher = Sha256::new();
    let mut file = std::fs::File::open(&target)?;
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let n = std::io::Read::read(&mut file, &mut buffer)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

fn print_report(report: &ImportReport, seconds: f64) {
    println!(
        "{}: {} features from {} ({}, {} text)",
        match report.outcome {
            ImportOutcome::Imported => "imported",
            ImportOutcome::DryRun => "dry run, nothing written",
            ImportOutcome::Refused => "refused",
        },
        report.features,
        report.file_name,
        report.source_crs,
        report.text_encoding
    );
    if report.outcome != ImportOutcome::Refused {
        println!(
            "  {} new, {} changed, {} unchanged, in {seconds:.1} s ({:.0} parcels/s)",
            report.created,
            report.updated,
            report.unchanged,
            report.features as f64 / seconds.max(1e-9)
        );
    }
    if !report.area_mismatches.is_empty() {
        println!(
            "  {} parcels whose declared area differs from the measured one:",
            report.area_mismatches.len()
        );
        for m in report.area_mismatches.iter().take(20) {
            println!(
                "    feature {} {}: declared {:.2} mu, measured {:.2} mu",
                m.feature, m.patch_code, m.declared_mu, m.measured_mu
            );
        }
    }
    for problem in &report.problems {
        let code = problem.patch_code.as_deref().unwrap_or("-");
        println!(
            "  feature {} ({code}) {}: {}",
            problem.feature, problem.field, problem.message
        );
    }
}
