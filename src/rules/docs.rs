//! `docs/rules.md`, rendered from the rules' doc comments so the documentation lives once. A
//! test in `tests/it/meta.rs` keeps the committed file equal to this output.

use std::fmt::Write;

use super::{RuleMeta, all};

/// The GitHub anchor of a rule's section: the fragment of [`RuleMeta::url`].
pub fn anchor(rule: &RuleMeta) -> String {
    format!("{}-{}", rule.code.to_ascii_lowercase(), rule.name)
}

/// A rule's doc comment as Markdown: the one leading space `///` leaves is removed, and
/// headings outside code blocks move one level down, below the rule's own `##` heading.
fn body(rule: &RuleMeta) -> String {
    let mut out = String::new();
    let mut in_code = false;
    for line in rule.documentation().lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
        }
        if !in_code && line.starts_with('#') {
            out.push('#');
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// All rules' documentation: a table of contents, then one section per rule.
pub fn docs_markdown() -> String {
    let mut s = String::new();
    s.push_str("# Rules\n\n");
    s.push_str(
        "<!-- Generated from the rules' doc comments by `fdlint::rules::docs_markdown()`. \
         Do not edit: run `UPDATE_DOCS=1 cargo test` to regenerate. -->\n\n",
    );
    s.push_str("| Code | Name | Summary | Languages | Severity | Fix |\n");
    s.push_str("| --- | --- | --- | --- | --- | --- |\n");
    for r in all() {
        let _ = writeln!(
            s,
            "| [{}](#{}) | `{}` | {} | {} | {} | {} |",
            r.code,
            anchor(r),
            r.name,
            r.summary,
            languages(r),
            r.severities(),
            r.fix_summary()
        );
    }
    for r in all() {
        let _ = write!(
            s,
            "\n## {} {}\n\n{}.\n\n- Languages: {}\n- Severity: {}\n- Fix: {}\n\n{}",
            r.code,
            r.name,
            capitalise(r.summary),
            languages(r),
            r.severities(),
            r.fix_summary(),
            body(r)
        );
    }
    s
}

fn languages(r: &RuleMeta) -> String {
    r.languages
        .iter()
        .map(|l| l.name())
        .collect::<Vec<_>>()
        .join(", ")
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// GitHub's heading anchors: lowercase, spaces to `-`, punctuation but `-` and `_` dropped.
    fn github_anchor(heading: &str) -> String {
        heading
            .to_lowercase()
            .chars()
            .filter_map(|c| match c {
                ' ' => Some('-'),
                c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn anchors_match_rule_urls() {
        for r in all() {
            let heading = format!("{} {}", r.code, r.name);
            assert_eq!(github_anchor(&heading), anchor(r));
            assert!(r.url().ends_with(&format!("#{}", anchor(r))), "{}", r.url());
            assert!(docs_markdown().contains(&format!("\n## {heading}\n")));
        }
    }

    #[test]
    fn code_blocks_keep_their_comments() {
        let md = docs_markdown();
        assert!(md.contains("### What it does"));
        assert!(!md.contains("\n## What it does"));
    }
}
