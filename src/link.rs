//! The link across files and languages: a spawn call that runs a script by a literal path, and
//! the script, if it is among the scanned files and sweeps fds itself.
//!
//! The incident had two halves: a Ruby parent that started a helper with `Open3.popen3` without
//! `close_others: true`, and a Python 2 helper that swept every fd up to the limit. Each half is
//! a finding on its own; linked, the spawn's finding names the sweep to remove and the sweep's
//! finding names its parent, and the interpreter the parent uses (`python2`) decides the
//! child's Python version.
//!
//! Runs once per run, after the parallel phase, over the few files that have spawn calls naming
//! a script or close loops bounded by the limit.

use std::collections::HashMap;
use std::fs;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use crate::facts::{Facts, Lang};
use crate::rules::fd001_rlimit_close_loop::{Reach, reach};
use crate::runtime::{ChildLink, Links};

/// A file the link pass looks at: its facts and text, kept from the parallel phase.
#[derive(Debug, Clone)]
pub struct Linkable {
    pub path: PathBuf,
    pub lang: Lang,
    pub text: Arc<str>,
    pub facts: Arc<Facts>,
}

/// Whether a file's facts can take part in a link.
pub fn is_linkable(facts: &Facts) -> bool {
    facts.spawns.iter().any(|s| s.script.is_some()) || first_sweep(facts).is_some()
}

/// Whether a file sweeps every fd up to the real limit (it can be the child of a link).
pub fn sweeps(facts: &Facts) -> bool {
    first_sweep(facts).is_some()
}

/// The first close loop that runs to the real limit (an FD001 error).
fn first_sweep(facts: &Facts) -> Option<usize> {
    facts
        .close_loops
        .iter()
        .filter(|l| matches!(reach(&l.bound), Some(Reach::Limit(_))))
        .map(|l| l.span.start)
        .min()
}

fn line_of(text: &str, offset: usize) -> usize {
    crate::source::breaks_in(text.as_bytes(), 0, offset.min(text.len())) + 1
}

/// 1-based line numbers of offsets asked for mostly in increasing order.
#[derive(Default)]
struct LineCounter {
    offset: usize,
    line: usize,
}

impl LineCounter {
    fn line_of(&mut self, text: &str, offset: usize) -> usize {
        let offset = offset.min(text.len());
        if offset < self.offset || self.line == 0 {
            (self.offset, self.line) = (0, 1);
        }
        self.line += crate::source::breaks_in(text.as_bytes(), self.offset, offset);
        self.offset = offset;
        self.line
    }
}

fn components(p: &Path) -> Vec<String> {
    p.components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect()
}

/// Links for every linkable file that has any, paired with the file.
pub fn resolve(files: &[Linkable]) -> Vec<(&Linkable, Links)> {
    // Children: files with a sweep, by canonical path.
    let mut sweeps: HashMap<PathBuf, (usize, String)> = HashMap::new();
    for (i, f) in files.iter().enumerate() {
        if let Some(start) = first_sweep(&f.facts) {
            let at = format!("{}:{}", f.path.display(), line_of(&f.text, start));
            let key = fs::canonicalize(&f.path).unwrap_or_else(|_| f.path.clone());
            sweeps.insert(key, (i, at));
        }
    }
    if sweeps.is_empty() {
        return Vec::new();
    }
    let mut links: HashMap<usize, Links> = HashMap::new();
    // The child a script path names, per (directory, path): a file that runs the same script
    // a million times looks it up (a `canonicalize` and a scan of the sweeps) once.
    let mut children: HashMap<(PathBuf, String), Option<(usize, String)>> = HashMap::new();
    for (pi, parent) in files.iter().enumerate() {
        // Line numbers counted on from the previous spawn's, not from the start of the text
        // for each spawn (the file's size times its spawns).
        let mut lines = LineCounter::default();
        for spawn in &parent.facts.spawns {
            let Some(script) = &spawn.script else {
                continue;
            };
            let dir = parent.path.parent().unwrap_or(Path::new("")).to_path_buf();
            let child = children
                .entry((dir, script.path.clone()))
                .or_insert_with(|| {
                    find_child(&sweeps, files, &parent.path, &script.path)
                        .map(|(i, at)| (i, at.clone()))
                });
            let Some((ci, sweep)) = child.clone() else {
                continue;
            };
            if ci == pi {
                continue;
            }
            let at = format!(
                "{}:{}",
                parent.path.display(),
                lines.line_of(&parent.text, spawn.span.start)
            );
            links.entry(pi).or_default().children.push(ChildLink {
                spawn: spawn.span,
                sweep,
            });
            let child = links.entry(ci).or_default();
            child.parents.push(format!("{at} ({})", spawn.named()));
            if let Some(interp) = &spawn.interpreter
                && child.interpreter.is_none()
                && files[ci].lang == Lang::Python
            {
                child.interpreter = Some((interp.clone(), at));
            }
        }
    }
    let mut out: Vec<(&Linkable, Links)> = links
        .into_iter()
        .map(|(i, mut l)| {
            l.parents.sort();
            l.parents.dedup();
            (&files[i], l)
        })
        .collect();
    out.sort_by(|a, b| a.0.path.cmp(&b.0.path));
    out
}

/// The scanned file a script path names: relative to the spawning file's directory first, then
/// the one scanned file whose path ends with the script's path.
fn find_child<'a>(
    sweeps: &'a HashMap<PathBuf, (usize, String)>,
    files: &[Linkable],
    parent: &Path,
    script: &str,
) -> Option<(usize, &'a String)> {
    let script_path = Path::new(script);
    let direct = if script_path.is_absolute() {
        script_path.to_path_buf()
    } else {
        parent.parent().unwrap_or(Path::new("")).join(script_path)
    };
    if let Ok(canon) = fs::canonicalize(&direct)
        && let Some((i, at)) = sweeps.get(&canon)
    {
        return Some((*i, at));
    }
    let want = components(script_path);
    if want.is_empty() {
        return None;
    }
    let mut hits = sweeps.values().filter(|(i, _)| {
        let have = components(&files[*i].path);
        have.len() >= want.len() && have[have.len() - want.len()..] == want[..]
    });
    let first = hits.next()?;
    if hits.next().is_some() {
        // Ambiguous: two scanned scripts end with this path.
        return None;
    }
    Some((first.0, &first.1))
}
