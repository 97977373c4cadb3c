//! Settings per document, resolved exactly as the CLI resolves them: the closest configuration
//! file above the document (`fdlint.toml`, `.fdlint.toml`, `pyproject.toml` with `[tool.fdlint]`),
//! then the editor's `initializationOptions` on top, as command-line flags are. The options are
//! turned into `fdlint check` flags and validated by the CLI's own code, so the server cannot
//! drift from the CLI (or accept an option the CLI rejects).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;

use crate::config;
use crate::settings::Settings;

/// What `initializationOptions` (or `workspace/didChangeConfiguration`'s `fdlint` section) may
/// set. Keys are the configuration file's (`python-version`); camelCase spellings are accepted
/// too, as editors' JSON settings often use them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Options {
    pub select: Option<Vec<String>>,
    #[serde(default)]
    pub ignore: Vec<String>,
    #[serde(alias = "pythonVersion")]
    pub python_version: Option<String>,
    #[serde(alias = "rubyVersion")]
    pub ruby_version: Option<String>,
    #[serde(alias = "assumeNofile")]
    pub assume_nofile: Option<u64>,
}

impl Options {
    /// The options as `fdlint check` flags.
    fn flags(&self) -> Vec<String> {
        let mut f = Vec::new();
        if let Some(s) = &self.select {
            f.push(format!("--select={}", s.join(",")));
        }
        if !self.ignore.is_empty() {
            f.push(format!("--ignore={}", self.ignore.join(",")));
        }
        if let Some(v) = &self.python_version {
            f.push(format!("--python-version={v}"));
        }
        if let Some(v) = &self.ruby_version {
            f.push(format!("--ruby-version={v}"));
        }
        if let Some(n) = self.assume_nofile {
            f.push(format!("--assume-nofile={n}"));
        }
        f
    }
}

/// Names of the files whose change can change a document's settings or judged runtime: the
/// configuration files and the project version files `runtime` reads.
pub const WATCHED: &[&str] = &[
    "fdlint.toml",
    ".fdlint.toml",
    "pyproject.toml",
    ".python-version",
    ".ruby-version",
    "Gemfile",
];

/// Whether a changed file can change settings (a configuration or project version file).
pub fn affects_settings(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| WATCHED.contains(&n) || n.ends_with(".gemspec"))
}

/// Settings, cached per configuration file; cleared when a watched file changes.
#[derive(Default)]
pub struct Workspace {
    options: Options,
    /// Workspace folders, for documents that are not files (`untitled:`).
    pub roots: Vec<PathBuf>,
    by_dir: HashMap<PathBuf, Option<PathBuf>>,
    by_config: HashMap<Option<PathBuf>, Arc<Settings>>,
}

impl Workspace {
    pub fn new(options: Options, roots: Vec<PathBuf>) -> Workspace {
        Workspace {
            options,
            roots,
            ..Workspace::default()
        }
    }

    pub fn set_options(&mut self, options: Options) {
        self.options = options;
        self.invalidate();
    }

    /// Forget every resolved configuration (a configuration file changed).
    pub fn invalidate(&mut self) {
        self.by_dir.clear();
        self.by_config.clear();
    }

    /// Where a document without a file of its own is taken to live.
    pub fn default_dir(&self) -> PathBuf {
        self.roots
            .first()
            .cloned()
            .or_else(|| std::env::current_dir().ok())
            .unwrap_or_else(|| PathBuf::from("/"))
    }

    /// The settings for a document at `path`, and the error to show the user when they are
    /// not what was asked (an invalid configuration file or option), the first time it
    /// happens. Errors fall back to the defaults, with the options when they are valid.
    pub fn settings(&mut self, path: &Path) -> (Arc<Settings>, Option<String>) {
        let dir = path.parent().unwrap_or(path).to_path_buf();
        let config = self
            .by_dir
            .entry(dir)
            .or_insert_with_key(|d| config::find(d))
            .clone();
        if let Some(s) = self.by_config.get(&config) {
            return (Arc::clone(s), None);
        }
        let (settings, error) = match resolve(config.as_deref(), &self.options) {
            Ok(s) => (s, None),
            Err(e) => {
                let fallback = resolve(None, &self.options)
                    .or_else(|_| resolve(None, &Options::default()))
                    .unwrap_or_default();
                (fallback, Some(e))
            }
        };
        let settings = Arc::new(settings);
        self.by_config.insert(config, Arc::clone(&settings));
        (settings, error)
    }
}

/// How `fdlint check` flags become settings: the CLI's own parsing and validation, handed to
/// the server by `cli` (the server stands below the CLI and does not import it).
pub type FlagsToSettings = fn(args: &[String], root: &Path) -> Result<Settings, String>;

static FLAGS_TO_SETTINGS: std::sync::OnceLock<FlagsToSettings> = std::sync::OnceLock::new();

/// Set once, by [`super::run`].
pub fn set_flags_to_settings(f: FlagsToSettings) {
    let _ = FLAGS_TO_SETTINGS.set(f);
}

/// Settings from a configuration file (or none) and the options, through the CLI's own parsing
/// and validation of `fdlint check` flags.
fn resolve(config: Option<&Path>, options: &Options) -> Result<Settings, String> {
    let mut args = vec!["fdlint".to_string(), "check".to_string()];
    match config {
        Some(p) => args.push(format!("--config={}", p.display())),
        None => args.push("--isolated".to_string()),
    }
    args.extend(options.flags());
    let to_settings = FLAGS_TO_SETTINGS
        .get()
        .expect("server::run sets how flags become settings");
    to_settings(&args, config.unwrap_or(Path::new(".")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn init() {
        set_flags_to_settings(crate::cli::check_settings_from_flags);
    }
    use crate::settings::Version;

    #[test]
    fn options_apply_over_the_configuration_file() {
        init();
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("fdlint.toml");
        std::fs::write(&cfg, "python-version = \"2.7\"\nassume-nofile = 4096\n").unwrap();
        std::fs::create_dir(dir.path().join("pkg")).unwrap();
        let doc = dir.path().join("pkg/a.py");
        let opts = Options {
            ruby_version: Some("2.5".into()),
            assume_nofile: Some(1024),
            ..Options::default()
        };
        let mut ws = Workspace::new(opts, vec![]);
        let (s, err) = ws.settings(&doc);
        assert!(err.is_none(), "{err:?}");
        assert_eq!(s.python_version, Version::parse("2.7"));
        assert_eq!(s.ruby_version, Version::parse("2.5"));
        assert_eq!(s.assume_nofile, 1024);

        // A broken file is reported once and falls back to the options alone.
        std::fs::write(&cfg, "selct = [\"FD001\"]\n").unwrap();
        ws.invalidate();
        let (s, err) = ws.settings(&doc);
        let err = err.unwrap();
        assert!(err.contains("fdlint.toml:1"), "{err}");
        assert_eq!(s.python_version, None);
        assert_eq!(s.assume_nofile, 1024);
        assert!(ws.settings(&doc).1.is_none());
    }

    #[test]
    fn invalid_options_are_the_cli_s_errors() {
        init();
        let opts: Options = serde_json::from_value(serde_json::json!({
            "select": ["FD999"],
            "pythonVersion": "3.12"
        }))
        .unwrap();
        let mut ws = Workspace::new(opts, vec![]);
        let dir = tempfile::tempdir().unwrap();
        let (s, err) = ws.settings(&dir.path().join("a.py"));
        assert!(err.unwrap().contains("FD999"));
        assert_eq!(s.python_version, None);
        assert!(serde_json::from_value::<Options>(serde_json::json!({"selct": []})).is_err());
    }
}
