//! All integration tests, in one binary (as ripgrep does): fixtures, CLI, output formats, meta-tests.

mod action;
mod cli;
mod config;
mod counts;
mod deps;
mod determinism;
mod fix;
mod fix_proof;
mod fixtures;
mod formats;
mod hostile;
mod meta;
mod msrv;
mod precommit;
mod projects;
mod regressions;
mod server;
mod tools;
mod wheel;
