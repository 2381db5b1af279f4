//! Every integration test in one binary (one link instead of one per file): each file is a module.

#[macro_use]
mod common;

mod allowance;
mod applications;
mod assistance;
mod browser;
mod children;
mod cli;
mod daily_use;
mod dengbao;
mod disability;
mod elderly_services;
mod encryption;
mod foundation;
mod fuzz_api;
mod fuzz_imports;
mod institutions;
mod ledger;
mod lines;
mod lists;
mod matrix;
mod money_safety;
mod security;
mod snapshots;
mod targets;
mod tls;
mod verification;
