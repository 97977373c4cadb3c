//! The external tools some tests drive (pre-commit, check-jsonschema): they are checked by the
//! real tools of their ecosystems, not by imitations. The table is `tool_table.rs`; build.rs
//! probes it at build time and sets `fdlint_has_<tool>`, and each such test carries
//! `#[cfg_attr(not(fdlint_has_<tool>), ignore = "<tool> not found: SKIPPED")]`, so `cargo test`
//! reports it as ignored rather than `ok`. CI sets `FDLINT_REQUIRE_TOOLS=1` (see .ci/run):
//! build.rs then compiles every such test in, and a missing tool fails it here.

use std::path::PathBuf;

include!("tool_table.rs");

/// The path of the tool named `name` in [`TOOLS`] (`env_var` must be its variable there).
/// `None` (after printing a SKIPPED line) when it is missing and not required, which only
/// happens when an ignored test is run anyway (`--ignored`) or the tool went away after the
/// build.
pub fn find(name: &str, env_var: &str) -> Option<PathBuf> {
    let tool = TOOLS
        .iter()
        .find(|t| t.name == name && t.env_var == env_var)
        .unwrap_or_else(|| panic!("add {name} ({env_var}) to tests/it/tool_table.rs"));
    if let Some(p) = locate(tool) {
        assert!(
            p.is_file(),
            "{} names {}, which does not exist",
            tool.env_var,
            p.display()
        );
        return Some(p);
    }
    assert!(
        !tools_required(),
        "{name} not found (set {}, put it on PATH, or install it as .ci/run does), and \
         FDLINT_REQUIRE_TOOLS=1 requires it",
        tool.env_var
    );
    eprintln!(
        "SKIPPED: {name} not installed (set {} or put it on PATH to run this test)",
        tool.env_var
    );
    None
}

/// Every tool in the table is compiled into a cfg the tests can name: this fails to compile
/// (`unexpected_cfgs` is denied in CI's clippy run) if build.rs stops declaring them.
#[test]
fn the_tool_table_and_the_cfgs_agree() {
    let names: Vec<String> = TOOLS.iter().map(cfg_name).collect();
    assert_eq!(
        names,
        [
            "fdlint_has_pre_commit",
            "fdlint_has_check_jsonschema",
            "fdlint_has_maturin",
            "fdlint_has_ruby",
            "fdlint_has_cargo",
            "fdlint_has_nvim",
            "fdlint_has_pypy3",
        ]
    );
    // Whatever build.rs decided for this build, the test's own lookup agrees with it.
    let found = |t: &str| {
        let tool = TOOLS.iter().find(|x| x.name == t).unwrap();
        locate(tool).is_some() || tools_required()
    };
    assert_eq!(cfg!(fdlint_has_pre_commit), found("pre-commit"));
    assert_eq!(cfg!(fdlint_has_check_jsonschema), found("check-jsonschema"));
    assert_eq!(cfg!(fdlint_has_maturin), found("maturin"));
    assert_eq!(cfg!(fdlint_has_ruby), found("ruby"));
    assert_eq!(cfg!(fdlint_has_cargo), found("cargo"));
    assert_eq!(cfg!(fdlint_has_nvim), found("nvim"));
    assert_eq!(cfg!(fdlint_has_pypy3), found("pypy3"));
}

/// neovim, for the real-editor test of `fdlint server` (`FDLINT_NVIM`, else `nvim` on PATH).
pub fn nvim() -> Option<PathBuf> {
    find("nvim", "FDLINT_NVIM")
}
