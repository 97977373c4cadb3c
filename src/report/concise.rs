//! `--format concise`: `path:line:col: severity[CODE] message`, one line per finding. This is the
//! shape gcc made standard, so vim's `errorformat`, emacs's compilation mode and VS Code's
//! problem matchers read it; the snippets in docs/output-formats.md are tested against it.

use std::io::{self, Write};

use crate::engine::RunResult;

pub fn write(result: &RunResult, unsafe_fixes: bool, out: &mut dyn Write) -> io::Result<()> {
    for (file, f) in result.findings() {
        let (start, _) = super::range(file, f);
        let package = match &file.package {
            Some(p) => format!(" [{p}]"),
            None => String::new(),
        };
        writeln!(
            out,
            "{}:{}:{}: {}[{}]{} {}{package}",
            file.path.display(),
            start.line,
            start.column,
            f.severity,
            f.rule.code,
            super::fix_marker(f, unsafe_fixes),
            one_line(&f.message)
        )?;
    }
    Ok(())
}

/// Editors read one finding per line, so a message never spans lines.
fn one_line(message: &str) -> String {
    message.split(['\r', '\n']).collect::<Vec<_>>().join(" ")
}
