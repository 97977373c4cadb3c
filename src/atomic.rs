//! Writing a file so that readers see the old file or the whole new one, never a part: a
//! temporary file in the same directory (so the rename stays on one file system), then a
//! rename over the target. Shared by `--output-file` (report) and `--fix` (fix).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// A new, exclusively created temporary file beside `path`, named
/// `.<name>.fdlint-<tag>-<pid>-<n>.tmp` (`n` counts up past names that exist).
pub fn temp_beside(path: &Path, tag: &str) -> io::Result<(PathBuf, fs::File)> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a file name"))?;
    let mut attempt = 0;
    loop {
        let tmp = dir.join(format!(
            ".{}.fdlint-{tag}-{}-{attempt}.tmp",
            name.to_string_lossy(),
            std::process::id()
        ));
        match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
        {
            Ok(f) => return Ok((tmp, f)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 100 => attempt += 1,
            Err(e) => return Err(e),
        }
    }
}
