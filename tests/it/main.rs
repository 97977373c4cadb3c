//! All integration tests, in one binary (as ripgrep does): fixtures, CLI, output formats, meta-tests.

mod action;
mod cli;
mod config;
mod deps;
mod determinism;
mod fixtures;
mod formats;
mod hostile;
mod meta;
mod precommit;
mod tools;
