//! All integration tests, in one binary (as ripgrep does): fixtures, CLI, output formats, meta-tests.

mod action;
mod cli;
mod config;
mod counts;
mod deps;
mod fix;
mod fix_proof;
mod fixtures;
mod formats;
mod meta;
mod precommit;
mod projects;
mod tools;
mod wheel;
