// The external tools some tests drive, in one table, and how they are found. This file is
// `include!`d by build.rs (which turns each tool into a `fdlint_has_<tool>` cfg, so a test
// that needs a missing tool is reported as ignored: SKIPPED) and by tests/it/tools.rs (which
// hands the test the same path). Adding a tool is one line here and one `cfg_attr` on its tests.

/// A tool: its command name, and the environment variable that may name its path instead.
pub struct Tool {
    pub name: &'static str,
    pub env_var: &'static str,
}

pub const TOOLS: &[Tool] = &[
    Tool {
        name: "pre-commit",
        env_var: "FDLINT_PRE_COMMIT",
    },
    Tool {
        name: "check-jsonschema",
        env_var: "FDLINT_CHECK_JSONSCHEMA",
    },
    Tool {
        name: "maturin",
        env_var: "FDLINT_MATURIN",
    },
    Tool {
        name: "ruby",
        env_var: "FDLINT_RUBY",
    },
    Tool {
        name: "cargo",
        env_var: "FDLINT_CARGO",
    },
    Tool {
        name: "nvim",
        env_var: "FDLINT_NVIM",
    },
    Tool {
        name: "pypy3",
        env_var: "FDLINT_PYPY3",
    },
];

/// Where developer machines keep the Python tools (a shared virtualenv), searched after PATH.
pub const SHARED_TOOL_DIR: &str = "/opt/fdlint-tools/venv/bin";

/// The tool from its environment variable (taken as given, even if it does not exist: the
/// test then fails saying so), else `name` on PATH, else [`SHARED_TOOL_DIR`].
pub fn locate(tool: &Tool) -> Option<std::path::PathBuf> {
    if let Some(v) = std::env::var_os(tool.env_var).filter(|v| !v.is_empty()) {
        return Some(std::path::PathBuf::from(v));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(std::iter::once(std::path::PathBuf::from(SHARED_TOOL_DIR)))
        .map(|dir| dir.join(tool.name))
        .find(|p| p.is_file())
}

/// `pre-commit` -> `fdlint_has_pre_commit`.
pub fn cfg_name(tool: &Tool) -> String {
    format!("fdlint_has_{}", tool.name.replace('-', "_"))
}

/// `FDLINT_REQUIRE_TOOLS=1` (CI): a missing tool fails its tests instead of skipping them.
pub fn tools_required() -> bool {
    std::env::var_os("FDLINT_REQUIRE_TOOLS").is_some_and(|v| v == "1")
}
