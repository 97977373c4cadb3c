//! Rust frontend (stub, being written).
use super::{FrontendError, FrontendOptions};
use crate::facts::Facts;

pub fn extract(_text: &str, _opts: &FrontendOptions) -> Result<Facts, FrontendError> {
    Ok(Facts::default())
}
