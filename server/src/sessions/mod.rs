//! Sessions: login, token refresh and logout, and `GET /me`.

pub mod handlers;
mod service;
