//! Command-line interface: raw flags (clap) validated into [`Settings`], then dispatch. The CLI
//! is a library function so tests can call it in-process; `main` only maps its status to an exit
//! code.

use std::collections::BTreeMap;
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};

use crate::baseline::Baseline;
use crate::config::{self, Hierarchy};
use crate::deps;
use crate::discover;
use crate::engine::{self, RunResult};
use crate::finding::Severity;
use crate::report::{self, Format, HumanOptions};
use crate::rules;
use crate::selection::{self, Layer};
use crate::settings::{Overrides, Settings, Version};

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// No finding at or above `--fail-on`.
    Clean = 0,
    /// Findings at or above `--fail-on`.
    Findings = 1,
    /// The run could not do what was asked.
    Error = 2,
}

#[derive(Debug, Parser)]
#[command(
    name = "fdlint",
    version,
    about = "Find loops that close every file descriptor up to the fd limit, and the spawn calls \
             around them, in Python, Ruby and Rust code",
    after_help = "Exit status: 0 no findings at or above --fail-on, 1 findings, 2 error."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Lint files and directories (default: the current directory).
    Check(Box<CheckArgs>),
    /// List the rules: code, name, severities as reported, languages, fix, summary.
    Rules {
        /// `text` (a table) or `json` (an array of objects).
        #[arg(long, default_value = "text", value_parser = ["text", "json"])]
        format: String,
    },
    /// Lint the dependencies a project installed: a virtualenv's packages, the gems of a
    /// Gemfile.lock, the crates of a Cargo.lock (detected in the current directory when no
    /// option names one). Nothing is run or imported.
    Deps(Box<DepsArgs>),
    /// Print a rule's documentation.
    Explain {
        /// A rule code (`FD001`) or name (`rlimit-close-loop`).
        rule: String,
    },
    /// Run the language server (LSP over standard input and output) for editors; see
    /// docs/editors.md.
    Server,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Files or directories to lint (default: the current directory). Named files are linted
    /// whatever the excludes say (unless --force-exclude); directories are walked, honouring
    /// .gitignore and the excludes. `-` is standard input (see --stdin-filename).
    pub paths: Vec<PathBuf>,

    /// Exclude these paths (gitignore-style globs relative to the current directory,
    /// comma-separated), replacing the configuration's `exclude` and the default excludes.
    #[arg(long, value_delimiter = ',', value_name = "GLOBS")]
    pub exclude: Option<Vec<String>>,

    /// Exclude these paths too (globs, comma-separated), on top of `exclude`.
    #[arg(long, value_delimiter = ',', value_name = "GLOBS")]
    pub extend_exclude: Vec<String>,

    /// Apply the excludes to files named on the command line and to --stdin-filename too (for
    /// pre-commit and editors, which name every file).
    #[arg(long)]
    pub force_exclude: bool,

    /// Print the settings for the first path (which configuration file, which values), then
    /// exit.
    #[arg(long, conflicts_with = "show_files")]
    pub show_settings: bool,

    /// Print the files that would be linted, then exit.
    #[arg(long)]
    pub show_files: bool,

    #[command(flatten)]
    pub fixes: FixArgs,

    #[command(flatten)]
    pub common: CommonArgs,
}

/// `fdlint check`'s fix options (never `fdlint deps`: fdlint does not write a dependency's
/// files). Which rules fix what: `fdlint rules`.
#[derive(Debug, Args, Default)]
pub struct FixArgs {
    /// Apply the safe fixes, then report what remains.
    #[arg(long)]
    pub fix: bool,

    /// Also apply unsafe fixes (with --fix, --fix-only or --diff), and mark them fixable.
    #[arg(long)]
    pub unsafe_fixes: bool,

    /// Print the fixes as a unified diff and change nothing; exit status 1 when there is
    /// something to fix.
    #[arg(long, conflicts_with_all = ["fix", "fix_only"])]
    pub diff: bool,

    /// Apply the fixes like --fix, but report nothing about the findings left; exit status 0
    /// unless a file could not be fixed.
    #[arg(long)]
    pub fix_only: bool,
}

impl FixArgs {
    fn mode(&self) -> Option<crate::fix::Mode> {
        (self.fix || self.fix_only || self.diff).then_some(crate::fix::Mode {
            write: !self.diff,
            unsafe_fixes: self.unsafe_fixes,
        })
    }
}

/// `fdlint check` and `fdlint deps` share their options through this.
impl std::ops::Deref for CheckArgs {
    type Target = CommonArgs;
    fn deref(&self) -> &CommonArgs {
        &self.common
    }
}

/// Options shared by `check` and `deps`: output, severities, runtime assumptions, baselines.
#[derive(Debug, Args)]
pub struct CommonArgs {
    /// Output format (see docs/output-formats.md).
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// Exit with status 1 when a finding is at or above this severity (`never`: always 0)
    /// [default: warning, or the config file's `fail-on`].
    #[arg(long, value_parser = ["error", "warning", "note", "never"])]
    pub fail_on: Option<String>,

    /// Rules to run, replacing the config file's selection: codes, code prefixes (`FD00`),
    /// names or `ALL`, comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub select: Option<Vec<String>>,

    /// Rules not to run (codes, prefixes or names, comma-separated), on top of the selection.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub ignore: Vec<String>,

    /// Use this configuration file instead of looking for fdlint.toml, .fdlint.toml or
    /// pyproject.toml above the first path.
    #[arg(long, value_name = "FILE", conflicts_with = "isolated")]
    pub config: Option<PathBuf>,

    /// Ignore configuration files.
    #[arg(long)]
    pub isolated: bool,

    /// Write the report to FILE instead of standard output, atomically (a temporary file in the
    /// same directory, renamed over FILE).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output_file: Option<PathBuf>,

    /// Lint standard input as if it were the file PATH (whose name picks the language). Standard
    /// input is read when no paths are given or one of them is `-`.
    #[arg(long, value_name = "PATH")]
    pub stdin_filename: Option<PathBuf>,

    /// The RLIMIT_NOFILE value costs are computed at (default: 1073741816, systemd's
    /// `LimitNOFILE=infinity`).
    #[arg(long, value_name = "N")]
    pub assume_nofile: Option<u64>,

    /// The Python version the code runs on (`2.7`, `3.12`); overrides what files suggest.
    #[arg(long, value_name = "X.Y")]
    pub python_version: Option<String>,

    /// The Ruby version the code runs on (`1.9`, `3.3`).
    #[arg(long, value_name = "X.Y")]
    pub ruby_version: Option<String>,

    /// Do not honour .gitignore files.
    #[arg(long)]
    pub no_ignore: bool,

    /// Parse every file, even those the byte prefilter rules out (for testing the prefilter;
    /// results are the same, only slower).
    #[arg(long, hide = true)]
    pub no_prefilter: bool,

    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', value_name = "N", default_value_t = 0)]
    pub threads: usize,

    /// Print counts per rule and where the time went, on stderr.
    #[arg(long)]
    pub statistics: bool,

    /// Print nothing on stderr but errors.
    #[arg(long, short)]
    pub quiet: bool,

    /// When to use colour in the human report.
    #[arg(long, default_value = "auto", value_parser = ["auto", "always", "never"])]
    pub color: String,

    /// Report only findings not recorded in this baseline file (the others are counted).
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// Record the current findings in this baseline file (JSON), then report as usual.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct DepsArgs {
    /// A virtual environment whose site-packages to scan (default: .venv, venv, $VIRTUAL_ENV).
    #[arg(long, value_name = "PATH", conflicts_with = "site_packages")]
    pub venv: Option<PathBuf>,

    /// A site-packages directory to scan.
    #[arg(long, value_name = "PATH")]
    pub site_packages: Option<PathBuf>,

    /// The Gemfile.lock naming the gems to scan (default: ./Gemfile.lock).
    #[arg(long, value_name = "PATH")]
    pub gemfile_lock: Option<PathBuf>,

    /// A directory holding installed gems (a GEM_HOME, a bundle path or a `gems/` directory);
    /// repeatable. vendor/bundle, BUNDLE_PATH, GEM_HOME and GEM_PATH are searched too.
    #[arg(long, value_name = "DIR")]
    pub gem_path: Vec<PathBuf>,

    /// Also search Debian's system gem directories (/usr/share/rubygems-integration, /var/lib/gems).
    #[arg(long)]
    pub system_gems: bool,

    /// The Cargo.lock naming the crates to scan (default: ./Cargo.lock).
    #[arg(long, value_name = "PATH")]
    pub cargo_lock: Option<PathBuf>,

    /// Cargo's home, holding registry/src (default: $CARGO_HOME, else ~/.cargo).
    #[arg(long, value_name = "DIR")]
    pub cargo_home: Option<PathBuf>,

    /// A `cargo vendor` directory (default: vendor/ beside Cargo.lock, when present).
    #[arg(long, value_name = "DIR")]
    pub vendor: Option<PathBuf>,

    /// Scan what is installed even when locked packages are not installed or no package is
    /// found: warnings instead of an error (exit status 2).
    #[arg(long)]
    pub allow_missing: bool,

    /// The directory --system-gems looks under instead of `/` (for tests).
    #[arg(long, value_name = "DIR", hide = true)]
    pub system_root: Option<PathBuf>,

    #[command(flatten)]
    pub common: CommonArgs,
}

impl DepsArgs {
    pub fn options(&self, project: PathBuf) -> deps::Options {
        deps::Options {
            project,
            venv: self.venv.clone(),
            site_packages: self.site_packages.clone(),
            gemfile_lock: self.gemfile_lock.clone(),
            gem_paths: self.gem_path.clone(),
            system_gems: self.system_gems,
            cargo_lock: self.cargo_lock.clone(),
            cargo_home: self.cargo_home.clone(),
            vendor: self.vendor.clone(),
            system_root: self.system_root.clone(),
        }
    }
}

/// A usage error found while validating flags.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(String);

impl CommonArgs {
    /// Validated settings; the configuration file is looked for from `config_root` upwards.
    pub fn settings(&self, config_root: &Path) -> Result<Settings, UsageError> {
        let overrides = self.overrides()?;
        let config_path = match (&self.config, self.isolated) {
            (Some(p), _) => Some(p.clone()),
            (None, true) => None,
            (None, false) => config::find(config_root),
        };
        settings_from(config_path.as_deref(), &overrides)
    }

    /// What the flags set, validated: applied over every configuration file (flags win).
    pub fn overrides(&self) -> Result<Overrides, UsageError> {
        let selectors = |flag: &str, list: &[String]| {
            let mut out = Vec::new();
            for sel in list {
                out.extend(
                    selection::resolve(sel).map_err(|e| UsageError(format!("{flag}: {e}")))?,
                );
            }
            Ok::<_, UsageError>(out)
        };
        let mut o = Overrides {
            selection: Layer {
                select: match &self.select {
                    Some(list) => Some(selectors("--select", list)?),
                    None => None,
                },
                ignore: selectors("--ignore", &self.ignore)?,
            },
            ..Overrides::default()
        };
        if let Some(n) = self.assume_nofile {
            if n == 0 {
                return Err(UsageError("--assume-nofile must be at least 1".into()));
            }
            o.assume_nofile = Some(n);
        }
        o.python_version = parse_version("--python-version", self.python_version.as_deref())?;
        o.ruby_version = parse_version("--ruby-version", self.ruby_version.as_deref())?;
        o.fail_on = match self.fail_on.as_deref() {
            None => None,
            Some("never") => Some(None),
            Some(other) => Some(Severity::parse(other)),
        };
        o.no_ignore = self.no_ignore;
        o.no_prefilter = self.no_prefilter;
        o.threads = self.threads;
        o.timings = self.statistics;
        Ok(o)
    }
}

/// Defaults, then the configuration file (if any), then the flags.
fn settings_from(file: Option<&Path>, overrides: &Overrides) -> Result<Settings, UsageError> {
    let mut s = Settings::default();
    if let Some(p) = file {
        config::load(p)
            .map_err(|e| UsageError(e.to_string()))?
            .apply(&mut s);
    }
    overrides.apply(&mut s);
    Ok(s)
}

impl CheckArgs {
    /// The path whose configuration decides the run-wide settings (`fail-on`) and that
    /// --show-settings describes: the first path, else the --stdin-filename, else `.`.
    fn first_path(&self) -> &Path {
        self.paths
            .iter()
            .find(|p| p.as_os_str() != "-")
            .or(self.stdin_filename.as_ref())
            .map_or(Path::new("."), PathBuf::as_path)
    }

    /// Settings for `check`: hierarchical, as in ruff (each file gets its closest
    /// configuration file's, through [`Settings::for_path`]), unless --config names one file
    /// for all or --isolated reads none. The returned settings are the first path's.
    pub fn settings(&self) -> Result<Settings, UsageError> {
        let mut overrides = self.common.overrides()?;
        let cwd = Path::new(".");
        let globs = |flag: &str, list: &[String]| {
            config::Exclude::new(cwd, list).map_err(|(_, e)| UsageError(format!("{flag}: {e}")))
        };
        if let Some(list) = &self.exclude {
            overrides.exclude = Some(globs("--exclude", list)?);
        }
        if !self.extend_exclude.is_empty() {
            overrides.extend_exclude = Some(globs("--extend-exclude", &self.extend_exclude)?);
        }
        overrides.force_exclude = self.force_exclude;
        if self.common.config.is_some() || self.common.isolated {
            return settings_from(self.common.config.as_deref(), &overrides);
        }
        let hierarchy = Arc::new(Hierarchy::new(overrides));
        let first = self.first_path();
        let dir = if first.is_dir() {
            first
        } else {
            first.parent().unwrap_or(Path::new(""))
        };
        let mut s = Settings::clone(&hierarchy.for_dir(dir));
        if let Some(e) = hierarchy.errors().into_iter().next() {
            return Err(UsageError(e));
        }
        s.hierarchy = Some(hierarchy);
        Ok(s)
    }
}

fn parse_version(flag: &str, v: Option<&str>) -> Result<Option<Version>, UsageError> {
    match v {
        None => Ok(None),
        Some(s) => Version::parse(s).map(Some).ok_or_else(|| {
            UsageError(format!(
                "{flag}: expected a version like 2.7 or 3.12, got `{s}`"
            ))
        }),
    }
}

/// Run the CLI with these arguments, writing to these streams.
/// Arguments are `OsString`s (`std::env::args_os`): a path that is not UTF-8 is a path like
/// any other, never a panic.
pub fn run<A: Into<std::ffi::OsString> + Clone>(
    args: impl IntoIterator<Item = A>,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> ExitStatus {
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() {
                ExitStatus::Error
            } else {
                ExitStatus::Clean
            };
            let text = e.render().to_string();
            let _ = if e.use_stderr() {
                stderr.write_all(text.as_bytes())
            } else {
                stdout.write_all(text.as_bytes())
            };
            return code;
        }
    };
    let result = match cli.command {
        Command::Rules { format } => list_rules(&format, stdout),
        Command::Explain { rule } => explain(&rule, stdout, stderr),
        Command::Check(args) => check(&args, stdout, stderr),
        Command::Deps(args) => deps(&args, stdout, stderr),
        // LSP: status 1 when the client sends `exit` without `shutdown` first.
        Command::Server => {
            crate::server::run(stdout, stderr, check_settings_from_flags).map(|clean| {
                if clean {
                    ExitStatus::Clean
                } else {
                    ExitStatus::Findings
                }
            })
        }
    };
    match result {
        Ok(s) => s,
        // A closed pipe (`fdlint check | head`) is not an error.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitStatus::Clean,
        Err(e) => {
            let _ = writeln!(stderr, "fdlint: error: {e}");
            ExitStatus::Error
        }
    }
}

fn list_rules(format: &str, out: &mut dyn Write) -> io::Result<ExitStatus> {
    let langs = |r: &rules::RuleMeta| {
        r.languages
            .iter()
            .map(|l| l.name())
            .collect::<Vec<_>>()
            .join(",")
    };
    if format == "json" {
        let list: Vec<serde_json::Value> = rules::all()
            .iter()
            .map(|r| {
                serde_json::json!({
                    "code": r.code,
                    "name": r.name,
                    "severity": r.default_severity.as_str(),
                    "severities": r.severities(),
                    "languages": r.languages,
                    "fix": (!r.fix.is_empty()).then(|| r.fix.iter().map(|(a, l)| serde_json::json!({
                        "applicability": a.as_str(),
                        "languages": if l.is_empty() { r.languages } else { l },
                    })).collect::<Vec<_>>()),
                    "summary": r.summary,
                    "url": r.url(),
                })
            })
            .collect();
        serde_json::to_writer_pretty(&mut *out, &list)?;
        writeln!(out)?;
        return Ok(ExitStatus::Clean);
    }
    let sev_w = rules::all()
        .iter()
        .map(|r| r.severities().chars().count())
        .max()
        .unwrap_or(8);
    let fix_w = rules::all()
        .iter()
        .map(|r| r.fix_summary().chars().count())
        .max()
        .unwrap_or(3)
        .max(14);
    let row = |out: &mut dyn Write, c: &[&str]| {
        writeln!(
            out,
            "{:<5}  {:<24} {:<sev_w$}  {:<18} {:<fix_w$} {}",
            c[0], c[1], c[2], c[3], c[4], c[5]
        )
    };
    row(
        out,
        &["CODE", "NAME", "SEVERITY", "LANGUAGES", "FIX", "SUMMARY"],
    )?;
    for r in rules::all() {
        row(
            out,
            &[
                r.code,
                r.name,
                r.severities(),
                &langs(r),
                &r.fix_summary(),
                r.summary,
            ],
        )?;
    }
    Ok(ExitStatus::Clean)
}

fn explain(code: &str, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<ExitStatus> {
    match rules::by_code(code) {
        Some(r) => {
            writeln!(out, "# {} ({})\n", r.code, r.name)?;
            writeln!(out, "{}\n", r.summary)?;
            out.write_all(r.documentation().as_bytes())?;
            Ok(ExitStatus::Clean)
        }
        None => {
            let codes: Vec<&str> = rules::all().iter().map(|r| r.code).collect();
            writeln!(
                err,
                "fdlint: error: no rule `{code}`; rules are {}",
                codes.join(", ")
            )?;
            Ok(ExitStatus::Error)
        }
    }
}

fn check(args: &CheckArgs, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<ExitStatus> {
    let settings = match args.settings() {
        Ok(s) => s,
        Err(e) => {
            writeln!(err, "fdlint: error: {e}")?;
            return Ok(ExitStatus::Error);
        }
    };
    if args.show_settings {
        return show_settings(args.first_path(), &settings, out, err);
    }
    if args.show_files {
        return show_files(args, &settings, out, err);
    }
    let mode = args.fixes.mode();
    if mode.is_some()
        && (args.stdin_filename.is_some() || args.paths.iter().any(|p| p.as_os_str() == "-"))
    {
        writeln!(
            err,
            "fdlint: error: --fix, --fix-only and --diff change files; they do not apply to \
             standard input"
        )?;
        return Ok(ExitStatus::Error);
    }
    let mut result = match lint(args, &settings) {
        Ok(r) => r,
        Err(e) => {
            writeln!(err, "fdlint: error: {e}")?;
            return Ok(ExitStatus::Error);
        }
    };
    if result.stats.files_discovered == 0 && !args.common.quiet {
        // As ruff does ("No Python files found"): a warning, not an error. A pre-commit run
        // whose files are all excluded, or a directory without sources, is not a failure.
        writeln!(
            err,
            "fdlint: warning: no Python, Ruby or Rust files found to lint"
        )?;
    }
    let fixes = mode.map(|m| crate::fix::fix_run(&mut result, &settings, m));
    let view = FixView {
        args: &args.fixes,
        done: fixes.as_ref(),
    };
    finish(result, &settings, &args.common, &view, out, err)
}

/// What `finish` needs to know about fixing (nothing for `fdlint deps`).
struct FixView<'a> {
    args: &'a FixArgs,
    done: Option<&'a crate::fix::RunFixes>,
}

/// The paths named on the command line, or `.` (standard input aside).
fn check_paths(args: &CheckArgs) -> Vec<PathBuf> {
    let paths: Vec<PathBuf> = args
        .paths
        .iter()
        .filter(|p| p.as_os_str() != "-")
        .cloned()
        .collect();
    if paths.is_empty() && args.stdin_filename.is_none() {
        vec![PathBuf::from(".")]
    } else {
        paths
    }
}

/// `--show-files`: discovery only, the files in order.
fn show_files(
    args: &CheckArgs,
    settings: &Settings,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<ExitStatus> {
    let mut files = Vec::new();
    let found = discover::discover_each(&check_paths(args), settings.no_ignore, settings, |c| {
        files.extend(discover::settle(c).map(|c| c.path));
    });
    if let Some(p) = found.missing_roots.first() {
        writeln!(
            err,
            "fdlint: error: {}: no such file or directory",
            p.display()
        )?;
        return Ok(ExitStatus::Error);
    }
    if let Some(e) = settings_error(settings) {
        writeln!(err, "fdlint: error: {e}")?;
        return Ok(ExitStatus::Error);
    }
    files.sort();
    files.dedup();
    for f in &files {
        writeln!(out, "{}", f.display())?;
    }
    if !args.common.quiet {
        for i in &found.issues {
            writeln!(err, "fdlint: {}: {}", i.path.display(), i.message)?;
        }
    }
    Ok(ExitStatus::Clean)
}

/// `--show-settings`: which configuration file applies to `path` and what it resolves to.
fn show_settings(
    path: &Path,
    settings: &Settings,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<ExitStatus> {
    let s = if path.is_dir() {
        settings.for_dir_entries(path)
    } else {
        settings.for_path(path)
    };
    if let Some(e) = settings_error(settings) {
        writeln!(err, "fdlint: error: {e}")?;
        return Ok(ExitStatus::Error);
    }
    out.write_all(s.describe(path, rules::all()).as_bytes())?;
    Ok(ExitStatus::Clean)
}

fn deps(args: &DepsArgs, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<ExitStatus> {
    let mut settings = match args.common.settings(Path::new(".")) {
        Ok(s) => s,
        Err(e) => {
            writeln!(err, "fdlint: error: {e}")?;
            return Ok(ExitStatus::Error);
        }
    };
    let t0 = std::time::Instant::now();
    let project = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let resolved = match deps::resolve(&args.options(project), &deps::Env::from_process()) {
        Ok(r) => r,
        Err(e) => {
            writeln!(err, "fdlint: error: {e}")?;
            return Ok(ExitStatus::Error);
        }
    };
    let resolve_time = t0.elapsed();
    // A scan that did not look at what the lockfiles name must not pass as clean.
    let incomplete = resolved.incomplete();
    if !incomplete.is_empty() {
        let level = if args.allow_missing {
            "warning"
        } else {
            "error"
        };
        if !(args.allow_missing && args.common.quiet) {
            for m in &incomplete {
                writeln!(err, "fdlint: {level}: {m}")?;
            }
        }
        if !args.allow_missing {
            writeln!(
                err,
                "fdlint: error: not scanned; pass --allow-missing to scan what is installed"
            )?;
            return Ok(ExitStatus::Error);
        }
    }
    // A virtualenv's packages run on its own Python: its version (found per file from
    // `pyvenv.cfg`) beats the configuration file's `python-version`, but not the flag.
    if args.common.python_version.is_none() && resolved.venv_python().is_some() {
        settings.python_version = None;
    }
    let mut result = match engine::run_files(&resolved.targets(), &settings) {
        Ok(r) => r,
        Err(e) => {
            writeln!(err, "fdlint: error: {e}")?;
            return Ok(ExitStatus::Error);
        }
    };
    result.stats.discover_time = resolve_time;
    if !args.common.quiet {
        for n in &resolved.notices {
            writeln!(err, "fdlint: {}: {}", n.path.display(), n.message)?;
        }
        if args.common.statistics {
            for r in &resolved.roots {
                writeln!(err, "scanned {r}")?;
            }
            writeln!(err, "packages: {}", resolved.packages.len())?;
        }
    }
    let no_fixes = FixArgs::default();
    let view = FixView {
        args: &no_fixes,
        done: None,
    };
    finish(result, &settings, &args.common, &view, out, err)
}

/// Baselines, the report, diagnostics, the summary and the exit status: what `check` and
/// `deps` do with a run's result.
fn finish(
    mut result: RunResult,
    settings: &Settings,
    args: &CommonArgs,
    fix: &FixView,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<ExitStatus> {
    if let Some(path) = &args.write_baseline {
        Baseline::from_result(&result).write(path).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("{}: cannot write baseline: {e}", path.display()),
            )
        })?;
    }
    if let Some(path) = &args.baseline {
        match Baseline::load(path) {
            Ok(b) => {
                b.apply(&mut result);
            }
            Err(e) => {
                writeln!(err, "fdlint: error: {e}")?;
                return Ok(ExitStatus::Error);
            }
        }
    }
    let color = match args.color.as_str() {
        "always" => true,
        "never" => false,
        _ => {
            args.output_file.is_none()
                && io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    let width = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(100);
    let human = HumanOptions {
        color,
        width,
        unsafe_fixes: fix.args.unsafe_fixes,
    };
    if let Some(done) = fix.done {
        for d in &done.diffs {
            out.write_all(d.as_bytes())?;
        }
    }
    let report = !(fix.args.diff || fix.args.fix_only);
    match &args.output_file {
        _ if !report => {}
        None => {
            // Standard output is line-buffered: one `write` per line of a report (8,974 for
            // the benchmark corpus's JSON) without a buffer of its own.
            let mut w = io::BufWriter::with_capacity(64 << 10, &mut *out);
            report::write(args.format, &result, human, &mut w)?;
            w.flush()?;
        }
        Some(path) => {
            let mut buf = Vec::new();
            report::write(args.format, &result, human, &mut buf)?;
            if let Err(e) = report::write_file_atomically(path, &buf) {
                writeln!(
                    err,
                    "fdlint: error: could not write {}: {e}",
                    path.display()
                )?;
                return Ok(ExitStatus::Error);
            }
        }
    }
    if !args.quiet {
        for p in &result.problems {
            match p.line {
                Some(l) => writeln!(err, "fdlint: {}:{l}: {}", p.path.display(), p.message)?,
                None => writeln!(err, "fdlint: {}: {}", p.path.display(), p.message)?,
            }
        }
        if args.statistics {
            statistics(&result, err)?;
        }
        if let Some(done) = fix.done {
            for n in &done.notes {
                writeln!(err, "fdlint: {n}")?;
            }
        }
        fix_summary(&result, fix, err)?;
        summary(&result, err)?;
    }
    if let Some(done) = fix.done {
        for e in &done.errors {
            writeln!(err, "fdlint: error: {e}")?;
        }
        if !done.errors.is_empty() {
            return Ok(ExitStatus::Error);
        }
        if fix.args.diff {
            return Ok(if done.fixed > 0 {
                ExitStatus::Findings
            } else {
                ExitStatus::Clean
            });
        }
        if fix.args.fix_only {
            return Ok(ExitStatus::Clean);
        }
    }
    let fail = settings
        .fail_on
        .is_some_and(|min| result.findings().any(|(_, f)| f.severity >= min));
    // A file fdlint failed on (a caught panic) is a bug: the run finished, but CI must notice.
    let internal = result
        .problems
        .iter()
        .any(|p| p.kind == engine::ProblemKind::InternalError);
    Ok(if internal {
        ExitStatus::Error
    } else if fail {
        ExitStatus::Findings
    } else {
        ExitStatus::Clean
    })
}

/// Why the files to lint could not be linted.
#[derive(Debug, thiserror::Error)]
enum LintError {
    #[error(transparent)]
    Run(#[from] engine::RunError),
    #[error(transparent)]
    Usage(#[from] UsageError),
    #[error("could not read standard input: {0}")]
    Stdin(io::Error),
}

/// Lint the paths, and standard input when asked to (`-`, or no paths and --stdin-filename).
fn lint(args: &CheckArgs, settings: &Settings) -> Result<RunResult, LintError> {
    let dash = Path::new("-");
    let stdin = args.paths.iter().any(|p| p == dash)
        || (args.paths.is_empty() && args.stdin_filename.is_some());
    let paths: Vec<PathBuf> = args.paths.iter().filter(|p| *p != dash).cloned().collect();
    let stdin_path = match (&args.stdin_filename, stdin) {
        (Some(p), true) => Some(p),
        (None, true) => {
            return Err(UsageError(
                "`-` reads standard input, which needs --stdin-filename PATH to name it".into(),
            )
            .into());
        }
        (Some(_), false) => {
            return Err(UsageError(
                "--stdin-filename names standard input: pass `-` among the paths, or no paths"
                    .into(),
            )
            .into());
        }
        (None, false) => None,
    };
    let mut result = match (paths.is_empty(), stdin_path.is_some()) {
        (true, true) => RunResult::default(),
        (true, false) => engine::run(&[PathBuf::from(".")], settings)?,
        (false, _) => engine::run(&paths, settings)?,
    };
    if let Some(path) = stdin_path {
        // Standard input gets the settings of the file it stands for (its closest
        // configuration file, its per-file-ignores), and its excludes with --force-exclude.
        let file_settings = settings.for_path(path);
        if let Some(e) = settings_error(settings) {
            return Err(UsageError(e).into());
        }
        let settings = &*file_settings;
        // Read (up to the size limit) even when excluded: the editor or hook writing it must
        // not get a broken pipe.
        let bytes = match engine::read_bounded(path, &mut io::stdin().lock(), settings)
            .map_err(LintError::Stdin)?
        {
            Ok(b) => b,
            Err(too_large) => {
                result.stats.files_discovered += 1;
                result.problems.push(too_large);
                result.problems.sort();
                return Ok(result);
            }
        };
        if settings.force_exclude && settings.exclusion.excludes_named_path(path, false) {
            return Ok(result);
        }
        let lang = discover::lang_by_name(path)
            .or_else(|| discover::lang_by_shebang(bytes.split(|b| *b == b'\n').next()?))
            .ok_or_else(|| {
                UsageError(format!(
                    "--stdin-filename {}: cannot tell the language from the name; use a .py, \
                     .rb or .rs name",
                    path.display()
                ))
            })?;
        engine::add_text(&mut result, path, lang, bytes, settings);
    }
    Ok(result)
}

/// The fix lines of the summary, worded as ruff's: what was fixed and what remains, or what
/// `--fix` (and `--unsafe-fixes`) would fix.
fn fix_summary(result: &RunResult, fix: &FixView, err: &mut dyn Write) -> io::Result<()> {
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let (fixable, hidden) = crate::fix::fixable(result, fix.args.unsafe_fixes);
    match fix.done {
        Some(done) if fix.args.diff => writeln!(
            err,
            "Would fix {}.",
            plural(done.fixed, "finding", "findings")
        )?,
        Some(done) => {
            let remaining = result.findings().count();
            writeln!(
                err,
                "Found {} ({} fixed, {} remaining).",
                plural(done.fixed + remaining, "finding", "findings"),
                done.fixed,
                remaining
            )?;
        }
        None if fixable > 0 => writeln!(
            err,
            "[*] {} with the `--fix` option.",
            plural(fixable, "fixable", "fixable")
        )?,
        None => {}
    }
    match hidden {
        0 => Ok(()),
        n => writeln!(
            err,
            "{} can be enabled with the `--unsafe-fixes` option.",
            plural(n, "hidden fix", "hidden fixes")
        ),
    }
}

/// The settings `fdlint check` flags (`args`, starting with the program name) ask for, validated
/// as on the command line, with `root` where the configuration is looked for: how the language
/// server turns its initialization options into settings.
pub fn check_settings_from_flags(args: &[String], root: &Path) -> Result<Settings, String> {
    let cli = Cli::try_parse_from(args).map_err(|e| {
        // clap's rendering carries a usage section meant for a terminal: keep the first line.
        let text = e.render().to_string();
        text.lines().next().unwrap_or("invalid option").to_string()
    })?;
    let Command::Check(check) = cli.command else {
        return Err("the arguments must name `check`".to_string());
    };
    check.common.settings(root).map_err(|e| e.to_string())
}

/// The first configuration file met so far that cannot be used.
fn settings_error(settings: &Settings) -> Option<String> {
    settings
        .hierarchy
        .as_ref()
        .and_then(|h| h.errors().into_iter().next())
}

fn summary(result: &RunResult, err: &mut dyn Write) -> io::Result<()> {
    let n = result.findings().count();
    let files = result.files_with_findings();
    let ms = (result.stats.discover_time + result.stats.lint_time).as_millis();
    writeln!(
        err,
        "{} {} in {} {}; {} {} scanned in {ms} ms",
        n,
        if n == 1 { "finding" } else { "findings" },
        files,
        if files == 1 { "file" } else { "files" },
        result.stats.files_discovered,
        if result.stats.files_discovered == 1 {
            "file"
        } else {
            "files"
        },
    )?;
    match result.stats.known_in_baseline {
        0 => Ok(()),
        1 => writeln!(err, "1 known finding in baseline"),
        n => writeln!(err, "{n} known findings in baseline"),
    }
}

fn statistics(result: &RunResult, err: &mut dyn Write) -> io::Result<()> {
    let mut per_rule: BTreeMap<(&str, &str), BTreeMap<Severity, usize>> = BTreeMap::new();
    for (_, f) in result.findings() {
        *per_rule
            .entry((f.rule.code, f.rule.name))
            .or_default()
            .entry(f.severity)
            .or_default() += 1;
    }
    for ((code, name), sev) in &per_rule {
        let total: usize = sev.values().sum();
        let parts: Vec<String> = sev.iter().rev().map(|(s, n)| format!("{n} {s}")).collect();
        writeln!(err, "{total:>6}  {code} {name} ({})", parts.join(", "))?;
    }
    let s = &result.stats;
    writeln!(
        err,
        "files: {} discovered, {} ruled out by the prefilter, {} parsed; {:.1} MB read, {:.1} MB parsed",
        s.files_discovered,
        s.files_prefiltered_out,
        s.files_parsed,
        s.bytes_read as f64 / 1e6,
        s.bytes_parsed as f64 / 1e6
    )?;
    for (lang, l) in &s.languages {
        writeln!(
            err,
            "  {:<6} {} read ({:.1} MB), {} parsed ({:.1} MB)",
            lang.name(),
            l.files_read,
            l.bytes_read as f64 / 1e6,
            l.files_parsed,
            l.bytes_parsed as f64 / 1e6
        )?;
    }
    let p = &s.phases;
    writeln!(
        err,
        "time: {} ms (wall), of which discovery {} ms (the walk feeds the workers as it goes); \
         CPU summed over threads: read {} ms, prefilter {} ms, parse {} ms, rules {} ms",
        (s.discover_time + s.lint_time).as_millis(),
        s.discover_time.as_millis(),
        p.read.as_millis(),
        p.prefilter.as_millis(),
        p.parse.as_millis(),
        p.rules.as_millis()
    )
}
