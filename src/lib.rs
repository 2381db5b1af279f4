//! 民政云平台 (minzheng): the civil-affairs platform of a county-level city.
//!
//! Layers, outermost first: `cli` (the `minzheng` command) and `web` (pages and /api/v1) call `app`
//! (use cases, authorization, audit), which uses `storage` (one schema on SQLite and PostgreSQL) and the
//! pure rules in the `minzheng-domain` crate.

pub mod app;
pub mod cli;
pub mod config;
pub mod demo;
pub mod storage;
pub mod util;
pub mod web;

pub use minzheng_domain as domain;
