//! All integration tests, in one binary (as ripgrep does): fixtures, CLI, meta-tests.

mod cli;
mod deps;
mod fixtures;
mod meta;
