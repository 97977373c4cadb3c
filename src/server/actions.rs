//! Code actions and hovers, computed from a document's last analysis (never by analysing).
//!
//! Actions: "add `# fdlint: ignore[CODE]`" for every finding under the cursor, written where and
//! how [`crate::suppress`] reads it; each fix as a `quickfix` (safe fixes preferred, unsafe ones
//! say so in the title); every safe fix at once as `source.fixAll.fdlint`. Fixes reach this
//! module only through [`fix_of`], the one place that knows how a finding carries its fix.

use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, Diagnostic, Hover, HoverContents,
    MarkupContent, MarkupKind, Range, Uri,
};

use super::convert::{self, Lines};
use crate::facts::{Lang, Span};
use crate::finding::Finding;
use crate::source::LineIndex;
use crate::suppress;

/// The kind of the "apply every safe fix" action.
pub const FIX_ALL: CodeActionKind = CodeActionKind::new("source.fixAll.fdlint");

/// The reason placeholder after a suppression comment: the suppress module reads anything after
/// the `]` as the reason, and a reviewer should see one.
pub const REASON_PLACEHOLDER: &str = "-- <reason>";

/// A document as the last analysis saw it.
pub struct Analysed<'a> {
    pub uri: &'a Uri,
    pub lang: Lang,
    pub text: &'a str,
    pub lines: &'a Lines,
    /// Active findings, with the diagnostic published for each.
    pub findings: &'a [(Finding, Diagnostic)],
}

/// One fix of a finding, in the shape the actions need.
#[derive(Debug, Clone)]
pub struct FixView<'a> {
    pub message: &'a str,
    pub edits: Vec<(Span, &'a str)>,
    pub safe: bool,
}

/// The fix a finding carries, as the actions offer it.
pub fn fix_of(f: &Finding) -> Option<FixView<'_>> {
    f.fix.as_ref().map(|x| FixView {
        message: &x.message,
        edits: x
            .edits
            .iter()
            .map(|e| (e.span, e.content.as_str()))
            .collect(),
        safe: x.applicability == crate::edit::Applicability::Safe,
    })
}

fn wanted(only: Option<&[CodeActionKind]>, kind: &CodeActionKind) -> bool {
    // `only: ["quickfix"]` also asks for `quickfix.*` (LSP: kinds are hierarchical).
    only.is_none_or(|o| {
        o.iter().any(|k| {
            kind.as_str() == k.as_str() || kind.as_str().starts_with(&format!("{}.", k.as_str()))
        })
    })
}

/// The actions for a request's range.
pub fn code_actions(
    doc: &Analysed,
    range: Range,
    only: Option<&[CodeActionKind]>,
) -> Vec<CodeActionOrCommand> {
    let first = range.start.line as usize;
    let last = range.end.line as usize;
    let mut out = Vec::new();
    for (f, diag) in doc.findings {
        let start = doc.lines.line_of(f.span.start);
        let end = doc.lines.line_of(f.span.end);
        if end < first || start > last {
            continue;
        }
        if wanted(only, &CodeActionKind::QUICKFIX) {
            if let Some(fix) = fix_of(f)
                && let Some(a) = fix_action(doc, diag, &fix)
            {
                out.push(a.into());
            }
            if let Some(a) = ignore_action(doc, f, diag) {
                out.push(a.into());
            }
        }
    }
    if wanted(only, &FIX_ALL)
        && let Some(a) = fix_all_action(doc, doc.findings.iter().filter_map(|(f, _)| fix_of(f)))
    {
        out.push(a.into());
    }
    out
}

/// "Add `# fdlint: ignore[FD001]`": extends a suppression comment that already applies to the
/// finding's line, else appends one to the line (or, after a line continuation, puts one on its
/// own line above, where a trailing comment would break the code).
pub fn ignore_action(doc: &Analysed, f: &Finding, diag: &Diagnostic) -> Option<CodeAction> {
    let code = f.rule.code;
    let lead = doc.lang.comment();
    let line = doc.lines.line_of(f.span.start);
    let content = doc.lines.line_range(doc.text, line);
    let (directives, _) = suppress::parse(doc.lang, doc.text, &LineIndex::new(doc.text));
    let existing = directives.iter().find(|d| {
        !d.file_level && ((d.line == line && !d.own_line) || (d.own_line && d.line + 1 == line))
    });
    let (span, new_text) = if let Some(d) = existing {
        let last = d.codes.last()?.1;
        (Span::new(last.end, last.end), format!(", {code}"))
    } else {
        let text = &doc.text[content.start..content.end];
        if text.trim_end().ends_with('\\') {
            let indent = &text[..text.len() - text.trim_start().len()];
            (
                Span::new(content.start, content.start),
                format!(
                    "{indent}{lead} fdlint: ignore[{code}] {REASON_PLACEHOLDER}{}",
                    line_ending(doc.text, content)
                ),
            )
        } else {
            (
                Span::new(content.end, content.end),
                format!("  {lead} fdlint: ignore[{code}] {REASON_PLACEHOLDER}"),
            )
        }
    };
    let edit = convert::workspace_edit(doc.uri, doc.text, doc.lines, [(span, new_text.as_str())])?;
    Some(CodeAction {
        title: format!("Add `{lead} fdlint: ignore[{code}]` comment"),
        kind: Some(CodeActionKind::QUICKFIX),
        diagnostics: Some(vec![diag.clone()]),
        edit: Some(edit),
        ..CodeAction::default()
    })
}

fn line_ending(text: &str, content: Span) -> &'static str {
    if text[content.end..].starts_with("\r\n") {
        "\r\n"
    } else {
        "\n"
    }
}

/// One fix as a quickfix: preferred when safe, marked "(unsafe)" otherwise.
pub fn fix_action(doc: &Analysed, diag: &Diagnostic, fix: &FixView) -> Option<CodeAction> {
    let edit = convert::workspace_edit(
        doc.uri,
        doc.text,
        doc.lines,
        fix.edits.iter().map(|(s, c)| (*s, *c)),
    )?;
    Some(CodeAction {
        title: if fix.safe {
            fix.message.to_string()
        } else {
            format!("{} (unsafe)", fix.message)
        },
        kind: Some(CodeActionKind::QUICKFIX),
        diagnostics: Some(vec![diag.clone()]),
        edit: Some(edit),
        is_preferred: Some(fix.safe),
        ..CodeAction::default()
    })
}

/// Every safe fix at once. A fix whose edits overlap an earlier fix's is left out whole (never
/// half a fix), as `fdlint check --fix` would apply it on a later pass.
pub fn fix_all_action<'a>(
    doc: &Analysed,
    fixes: impl IntoIterator<Item = FixView<'a>>,
) -> Option<CodeAction> {
    let mut fixes: Vec<FixView> = fixes
        .into_iter()
        .filter(|f| f.safe && !f.edits.is_empty())
        .collect();
    fixes.sort_by_key(|f| f.edits.iter().map(|(s, _)| s.start).min());
    let mut taken: Vec<Span> = Vec::new();
    let mut edits: Vec<(Span, &str)> = Vec::new();
    for fix in &fixes {
        let overlaps = fix.edits.iter().any(|(s, _)| {
            taken
                .iter()
                .any(|t| s.start < t.end && t.start < s.end || s.start == t.start)
        });
        if overlaps {
            continue;
        }
        taken.extend(fix.edits.iter().map(|(s, _)| *s));
        edits.extend(fix.edits.iter().cloned());
    }
    let edit = convert::workspace_edit(doc.uri, doc.text, doc.lines, edits)?;
    Some(CodeAction {
        title: "Apply every safe fdlint fix".to_string(),
        kind: Some(FIX_ALL),
        edit: Some(edit),
        ..CodeAction::default()
    })
}

/// The rule's documentation for the finding under `offset`, with the finding's own message.
pub fn hover(doc: &Analysed, offset: usize) -> Option<Hover> {
    let (f, diag) = doc
        .findings
        .iter()
        .find(|(f, _)| f.span.start <= offset && offset <= f.span.end)?;
    let r = f.rule;
    let mut md = format!(
        "**{}** `{}` ({})\n\n{}\n\n",
        r.code, r.name, f.severity, f.message
    );
    if !f.help.is_empty() {
        md.push_str(&format!("*help:* {}\n\n", f.help));
    }
    md.push_str("---\n\n");
    md.push_str(&r.documentation());
    md.push_str(&format!("\n[{} documentation]({})\n", r.code, r.url()));
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: md,
        }),
        range: Some(diag.range),
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::str::FromStr;

    use lsp_types::Position;

    use super::*;
    use crate::server::convert::Encoding;
    use crate::settings::Settings;

    struct Doc {
        uri: Uri,
        lang: Lang,
        text: String,
        lines: Lines,
        findings: Vec<(Finding, Diagnostic)>,
    }

    impl Doc {
        fn new(lang: Lang, text: &str) -> Doc {
            let path = match lang {
                Lang::Rust => "/tmp/x.rs",
                _ => "/tmp/x.py",
            };
            let uri = Uri::from_str(&format!("file://{path}")).unwrap();
            let lines = Lines::new(text, Encoding::Utf16);
            let linted =
                crate::engine::lint_text(Path::new(path), lang, text, &Settings::default());
            let findings = linted
                .findings
                .into_iter()
                .filter(Finding::is_active)
                .map(|f| {
                    let d = convert::diagnostic(&uri, text, &lines, &f);
                    (f, d)
                })
                .collect();
            Doc {
                uri,
                lang,
                text: text.to_string(),
                lines,
                findings,
            }
        }

        fn analysed(&self) -> Analysed<'_> {
            Analysed {
                uri: &self.uri,
                lang: self.lang,
                text: &self.text,
                lines: &self.lines,
                findings: &self.findings,
            }
        }

        // `lsp_types::Uri` caches parts of its parse in a `Cell`; its `Hash` and `Eq` use only
        // the string, so it is a sound map key.
        #[allow(clippy::mutable_key_type)]
        fn apply(&self, a: &CodeActionOrCommand) -> String {
            let CodeActionOrCommand::CodeAction(a) = a else {
                panic!("a command");
            };
            let changes = a.edit.as_ref().unwrap().changes.as_ref().unwrap();
            convert::tests::apply(&self.text, &changes[&self.uri], Encoding::Utf16)
        }
    }

    const LOOP: &str = "import os, resource\n\
                        def f():\n    \
                        n = resource.getrlimit(resource.RLIMIT_NOFILE)[1]\n    \
                        for fd in range(3, n):  # close them all\n        \
                        os.close(fd)\n";

    fn everywhere() -> Range {
        Range::new(Position::new(0, 0), Position::new(99, 0))
    }

    #[test]
    fn ignore_comment_silences_the_finding() {
        let doc = Doc::new(Lang::Python, LOOP);
        assert_eq!(doc.findings.len(), 1);
        let actions = code_actions(&doc.analysed(), everywhere(), None);
        assert_eq!(actions.len(), 1);
        let fixed = doc.apply(&actions[0]);
        assert!(
            fixed.contains(
                "for fd in range(3, n):  # close them all  # fdlint: ignore[FD001] -- <reason>\n"
            ),
            "{fixed}"
        );
        assert!(Doc::new(Lang::Python, &fixed).findings.is_empty());
        // Outside the finding's lines there is nothing to do.
        let top = Range::new(Position::new(0, 0), Position::new(0, 3));
        assert!(code_actions(&doc.analysed(), top, None).is_empty());
        // Only fix-all asked for: not the ignore comment.
        assert!(code_actions(&doc.analysed(), everywhere(), Some(&[FIX_ALL])).is_empty());
    }

    #[test]
    fn ignore_comment_extends_an_existing_one_and_keeps_crlf() {
        let text = LOOP
            .replace("# close them all", "# fdlint: ignore[FD002] -- known")
            .replace('\n', "\r\n");
        let doc = Doc::new(Lang::Python, &text);
        let actions = code_actions(&doc.analysed(), everywhere(), None);
        let fixed = doc.apply(&actions[0]);
        assert!(
            fixed.contains("# fdlint: ignore[FD002, FD001] -- known\r\n"),
            "{fixed}"
        );
        // FD001 is silenced; FD002 silences nothing, which FD100 says.
        let again = Doc::new(Lang::Python, &fixed);
        let codes: Vec<&str> = again.findings.iter().map(|(f, _)| f.rule.code).collect();
        assert_eq!(codes, ["FD100"]);
    }

    #[test]
    fn rust_uses_its_comment_leader() {
        let text = "fn main() {\n    let max = unsafe { libc::sysconf(libc::_SC_OPEN_MAX) };\n    \
                    for fd in 3..max { unsafe { libc::close(fd as i32); } }\n}\n";
        let doc = Doc::new(Lang::Rust, text);
        assert_eq!(doc.findings.len(), 1, "{:?}", doc.findings);
        let actions = code_actions(&doc.analysed(), everywhere(), None);
        let CodeActionOrCommand::CodeAction(a) = &actions[0] else {
            panic!()
        };
        assert_eq!(a.title, "Add `// fdlint: ignore[FD001]` comment");
        let fixed = doc.apply(&actions[0]);
        assert!(fixed.contains("// fdlint: ignore[FD001] -- <reason>\n"));
        assert!(Doc::new(Lang::Rust, &fixed).findings.is_empty());
    }

    #[test]
    fn fix_actions_mark_unsafe_fixes_and_fix_all_takes_safe_ones_whole() {
        let doc = Doc::new(Lang::Python, LOOP);
        let a = doc.analysed();
        let (_, diag) = &doc.findings[0];
        let at = |s: &str| {
            let i = LOOP.find(s).unwrap();
            Span::new(i, i + s.len())
        };
        let safe = FixView {
            message: "use `os.closerange`",
            edits: vec![(at("range"), "xrange")],
            safe: true,
        };
        let unsafe_fix = FixView {
            message: "walk /proc/self/fd",
            edits: vec![(at("n):"), "m):")],
            safe: false,
        };
        // Overlaps the first safe fix: left out whole, with its second, harmless edit.
        let overlapping = FixView {
            message: "other",
            edits: vec![(at("range(3"), "R"), (at("os.close"), "OS.close")],
            safe: true,
        };
        let q = fix_action(&a, diag, &safe).unwrap();
        assert_eq!(q.is_preferred, Some(true));
        assert_eq!(q.kind, Some(CodeActionKind::QUICKFIX));
        let u = fix_action(&a, diag, &unsafe_fix).unwrap();
        assert_eq!(u.title, "walk /proc/self/fd (unsafe)");
        assert_eq!(u.is_preferred, Some(false));
        let all = fix_all_action(&a, [safe, unsafe_fix, overlapping]).unwrap();
        assert_eq!(all.kind, Some(FIX_ALL));
        let fixed = doc.apply(&all.into());
        assert_eq!(fixed, LOOP.replace("range", "xrange"));
        assert!(fix_all_action(&a, []).is_none());
    }

    #[test]
    fn hover_shows_the_rule_documentation() {
        let doc = Doc::new(Lang::Python, LOOP);
        let on_loop = LOOP.find("for fd").unwrap() + 2;
        let h = hover(&doc.analysed(), on_loop).unwrap();
        let HoverContents::Markup(m) = h.contents else {
            panic!()
        };
        assert!(m.value.starts_with("**FD001** `rlimit-close-loop` (error)"));
        assert!(m.value.contains("## What it does"), "{}", m.value);
        assert!(m.value.contains("docs/rules.md#fd001-rlimit-close-loop"));
        assert!(hover(&doc.analysed(), 0).is_none());
    }
}
