//! All integration tests, in one binary (as ripgrep does): fixtures, CLI, output formats, meta-tests.

mod action;
mod cli;
mod config;
mod deps;
mod fixtures;
mod formats;
mod meta;
mod precommit;
mod server;
mod tools;
