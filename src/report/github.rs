//! `--format github`: GitHub Actions workflow commands, which the runner turns into annotations
//! on the pull request's diff: `::error file=..,line=..,endLine=..,col=..,endColumn=..,title=..::message`.
//!
//! The escaping is `@actions/core`'s (`toCommandValue`, `escapeData`, `escapeProperty`): the
//! runner undoes exactly that, so anything else shows up verbatim or cuts a property short.

use std::io::{self, Write};

use crate::engine::RunResult;
use crate::finding::Severity;

pub fn write(result: &RunResult, unsafe_fixes: bool, out: &mut dyn Write) -> io::Result<()> {
    for (file, f) in result.findings() {
        let (start, end) = super::range(file, f);
        let command = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "notice",
        };
        // A dependency's finding is annotated on the lockfile or requirements line that pins
        // the package (the line a bump changes, in the repository); the message says where
        // in the package the code is.
        let pinned = file.package.as_ref().and_then(|p| {
            let pin = p.pin.as_ref()?;
            let inside = file.package_path.as_deref()?;
            Some((pin, format!("{inside}:{}: ", start.line)))
        });
        let mut props = match &pinned {
            Some((pin, _)) => vec![
                ("file", pin.path.display().to_string()),
                ("line", pin.line.to_string()),
            ],
            None => vec![
                ("file", file.path.display().to_string()),
                ("line", start.line.to_string()),
                ("endLine", end.line.to_string()),
            ],
        };
        // GitHub ignores columns on annotations spanning lines; leave them out rather than
        // pretend.
        if start.line == end.line && pinned.is_none() {
            props.push(("col", start.column.to_string()));
            props.push(("endColumn", end.column.to_string()));
        }
        props.push((
            "title",
            match &file.package {
                Some(p) => format!("fdlint ({}) in {p}", f.rule.code),
                None => format!("fdlint ({})", f.rule.code),
            },
        ));
        let props: Vec<String> = props
            .iter()
            .map(|(k, v)| format!("{k}={}", escape_property(v)))
            .collect();
        let fix = match &f.fix {
            Some(x) if x.applies(unsafe_fixes) => format!(" [*] fix: {}", x.message),
            Some(x) => format!(" (unsafe fix with --unsafe-fixes: {})", x.message),
            None => String::new(),
        };
        let message = match &pinned {
            Some((_, inside)) => format!("{inside}{}", f.message),
            None => f.message.clone(),
        };
        writeln!(
            out,
            "::{command} {}::{}{}",
            props.join(","),
            escape_data(&message),
            escape_data(&fix)
        )?;
    }
    Ok(())
}

/// `escapeData` of `@actions/core`: the message after `::`.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// `escapeProperty` of `@actions/core`: a `key=value` property, where `:` and `,` are separators.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}
