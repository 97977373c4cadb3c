//! fdlint: finds loops that close every file descriptor up to the fd limit, and the spawn calls
//! around them, in Python, Ruby and Rust code. See ARCHITECTURE.md for the map of the code.

pub mod facts;
pub mod lang;
