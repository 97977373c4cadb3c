//! Which rules run and at what severity: rule selectors (`FD001`, `rlimit-close-loop`, `FD00`,
//! `ALL`) from the config file and the command line, resolved once into a [`RuleSelection`].
//!
//! Selection is layered as in ruff: the config file is one layer, the command line the next. In
//! each layer a `select` replaces the set chosen so far, then `ignore` removes from it (so within
//! one layer `ignore` wins over `select`).

use std::collections::BTreeMap;

use crate::finding::{Finding, Severity};
use crate::rules::{self, RuleMeta};

/// A selector names no rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown rule selector `{0}` (expected a rule code like FD001, a code prefix like FD00, a rule name or ALL)"
)]
pub struct UnknownSelector(pub String);

/// The rules a selector names: `ALL`, a rule name, a code or a code prefix.
pub fn resolve(selector: &str) -> Result<Vec<&'static RuleMeta>, UnknownSelector> {
    let s = selector.trim();
    if s.eq_ignore_ascii_case("ALL") {
        return Ok(rules::all().to_vec());
    }
    let upper = s.to_ascii_uppercase();
    let found: Vec<&'static RuleMeta> = rules::all()
        .iter()
        .copied()
        .filter(|r| r.name == s || (upper.len() >= 2 && r.code.starts_with(upper.as_str())))
        .collect();
    if found.is_empty() {
        Err(UnknownSelector(s.to_string()))
    } else {
        Ok(found)
    }
}

/// One layer of selection: what it selects (replacing earlier layers) and ignores.
#[derive(Debug, Clone, Default)]
pub struct Layer {
    pub select: Option<Vec<&'static RuleMeta>>,
    pub ignore: Vec<&'static RuleMeta>,
}

/// The enabled rules and per-rule severity overrides of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleSelection {
    enabled: Vec<&'static str>,
    severity: BTreeMap<&'static str, Severity>,
}

impl Default for RuleSelection {
    /// Every rule, at its own severities.
    fn default() -> Self {
        RuleSelection {
            enabled: rules::all().iter().map(|r| r.code).collect(),
            severity: BTreeMap::new(),
        }
    }
}

impl RuleSelection {
    /// Apply one layer on top of the current selection.
    pub fn apply(&mut self, layer: &Layer) {
        if let Some(select) = &layer.select {
            self.enabled = select.iter().map(|r| r.code).collect();
        }
        self.enabled
            .retain(|code| !layer.ignore.iter().any(|r| r.code == *code));
        self.enabled.sort_unstable();
        self.enabled.dedup();
    }

    /// The enabled rules' codes, sorted.
    pub fn enabled_codes(&self) -> &[&'static str] {
        &self.enabled
    }

    /// The severity overrides, by rule code.
    pub fn severity_overrides(&self) -> impl Iterator<Item = (&'static str, Severity)> + '_ {
        self.severity.iter().map(|(c, s)| (*c, *s))
    }

    pub fn is_enabled(&self, rule: &RuleMeta) -> bool {
        self.enabled.contains(&rule.code)
    }

    /// Report every finding of `rule` at `severity`.
    pub fn set_severity(&mut self, rule: &'static RuleMeta, severity: Severity) {
        self.severity.insert(rule.code, severity);
    }

    /// The configured severity overrides, applied to fresh findings.
    pub fn override_severities(&self, findings: &mut [Finding]) {
        if self.severity.is_empty() {
            return;
        }
        for f in findings {
            if let Some(s) = self.severity.get(f.rule.code) {
                f.severity = *s;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors() {
        assert_eq!(resolve("FD001").unwrap()[0].code, "FD001");
        assert_eq!(resolve("fd001").unwrap()[0].code, "FD001");
        assert_eq!(resolve("rlimit-close-loop").unwrap()[0].code, "FD001");
        assert!(resolve("FD00").unwrap().len() >= 2);
        assert_eq!(resolve("ALL").unwrap().len(), rules::all().len());
        assert!(resolve("FD999").is_err());
        assert!(resolve("F").is_err());
        assert!(resolve("").is_err());
    }

    #[test]
    fn layers() {
        let mut s = RuleSelection::default();
        s.apply(&Layer {
            select: Some(resolve("FD00").unwrap()),
            ignore: resolve("FD002").unwrap(),
        });
        assert!(s.is_enabled(resolve("FD001").unwrap()[0]));
        assert!(!s.is_enabled(resolve("FD002").unwrap()[0]));
        // A later layer's ignore removes; its select replaces.
        s.apply(&Layer {
            select: None,
            ignore: resolve("FD001").unwrap(),
        });
        assert!(!s.is_enabled(resolve("FD001").unwrap()[0]));
        s.apply(&Layer {
            select: Some(resolve("FD002").unwrap()),
            ignore: vec![],
        });
        assert!(s.is_enabled(resolve("FD002").unwrap()[0]));
    }
}
