//! fdlint: finds loops that close every file descriptor up to the fd limit, and the spawn calls
//! around them, in Python, Ruby and Rust code. See ARCHITECTURE.md for the map of the code.

pub mod atomic;
pub mod baseline;
pub mod cli;
pub mod config;
pub mod cost;
pub mod deps;
pub mod discover;
pub mod edit;
pub mod engine;
pub mod facts;
pub mod finding;
pub mod fix;
pub mod index;
pub mod lang;
pub mod link;
pub mod pipeline;
pub mod prefilter;
pub mod report;
pub mod rules;
pub mod runtime;
pub mod selection;
pub mod server;
pub mod settings;
pub mod source;
pub mod suppress;

/// Where the project lives; rule documentation links point here.
pub const REPOSITORY: &str = "https://github.com/fdlint/fdlint";
