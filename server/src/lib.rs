//! Tianzhang (田长): evidence of restored farmland, from the field to the county.
//!
//! Features own their handlers, rules and queries and depend only downwards:
//! `sessions`, `users` and `regions` (features) → `auth` (who may do what) → `db`, `config`,
//! `error`, `http` (infrastructure). See docs/architecture.md.

pub mod auth;
pub mod blobs;
pub mod campaigns;
pub mod changes;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod error;
pub mod evidence;
pub mod http;
pub mod parcels;
pub mod photos;
pub mod regions;
pub mod review;
pub mod server;
pub mod sessions;
pub mod state;
pub mod sync;
pub mod telemetry;
pub mod users;
