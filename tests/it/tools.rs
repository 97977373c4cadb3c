//! Finding the external tools some tests drive (pre-commit, check-jsonschema): they are checked
//! by the real tools of their ecosystems, not by imitations. A developer without a tool gets a
//! clear skip message; CI sets `FDLINT_REQUIRE_TOOLS=1` (see .ci/run), under which a missing
//! tool fails the test, so a green CI run has really run them.

use std::path::{Path, PathBuf};

/// The tool from the environment variable `env_var`, else `name` on PATH, else the developer
/// machines' shared venv. `None` (after printing why) when it is missing and not required.
pub fn find(name: &str, env_var: &str) -> Option<PathBuf> {
    let found = std::env::var_os(env_var)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| on_path(name))
        .or_else(|| {
            let p = Path::new("/opt/fdlint-tools/venv/bin").join(name);
            p.is_file().then_some(p)
        });
    if let Some(p) = &found {
        assert!(
            p.is_file(),
            "{env_var} names {}, which does not exist",
            p.display()
        );
        return found;
    }
    let required = std::env::var_os("FDLINT_REQUIRE_TOOLS").is_some_and(|v| v == "1");
    assert!(
        !required,
        "{name} not found (set {env_var}, put it on PATH, or install it as .ci/run does), and \
         FDLINT_REQUIRE_TOOLS=1 requires it"
    );
    eprintln!("skipped: {name} not installed (set {env_var} or put it on PATH to run this test)");
    None
}

/// neovim, for the real-editor test of `fdlint server` (`FDLINT_NVIM`, else `nvim` on PATH).
pub fn nvim() -> Option<PathBuf> {
    find("nvim", "FDLINT_NVIM")
}

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}
