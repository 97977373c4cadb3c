//! Command-line interface: raw flags (clap) validated into [`Settings`], then dispatch. The CLI
//! is a library function so tests can call it in-process; `main` only maps its status to an exit
//! code.

use std::collections::BTreeMap;
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::engine::{self, RunResult};
use crate::finding::Severity;
use crate::report::{self, Format, HumanOptions};
use crate::rules;
use crate::settings::{Settings, Version};

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
    Check(CheckArgs),
    /// List the rules.
    Rules,
    /// Print a rule's documentation.
    Explain {
        /// A rule code (`FD001`) or name (`rlimit-close-loop`).
        rule: String,
    },
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Files or directories to lint. Named files are always linted; directories are walked,
    /// honouring .gitignore.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// Exit with status 1 when a finding is at or above this severity (`never`: always 0).
    #[arg(long, default_value = "warning", value_parser = ["error", "warning", "note", "never"])]
    pub fail_on: String,

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
}

/// A usage error found while validating flags.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(String);

impl CheckArgs {
    pub fn settings(&self) -> Result<Settings, UsageError> {
        let mut s = Settings::default();
        if let Some(n) = self.assume_nofile {
            if n == 0 {
                return Err(UsageError("--assume-nofile must be at least 1".into()));
            }
            s.assume_nofile = n;
        }
        s.python_version = parse_version("--python-version", self.python_version.as_deref())?;
        s.ruby_version = parse_version("--ruby-version", self.ruby_version.as_deref())?;
        s.fail_on = match self.fail_on.as_str() {
            "never" => None,
            other => Severity::parse(other),
        };
        s.no_ignore = self.no_ignore;
        s.prefilter = !self.no_prefilter;
        s.threads = self.threads;
        s.timings = self.statistics;
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
pub fn run(
    args: impl IntoIterator<Item = String>,
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
        Command::Rules => list_rules(stdout),
        Command::Explain { rule } => explain(&rule, stdout, stderr),
        Command::Check(args) => check(&args, stdout, stderr),
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

fn list_rules(out: &mut dyn Write) -> io::Result<ExitStatus> {
    for r in rules::all() {
        let langs: Vec<&str> = r.languages.iter().map(|l| l.name()).collect();
        writeln!(
            out,
            "{}  {:<24} {:<8} {:<20} {}",
            r.code,
            r.name,
            r.default_severity,
            langs.join(","),
            r.summary
        )?;
    }
    Ok(ExitStatus::Clean)
}

fn explain(code: &str, out: &mut dyn Write, err: &mut dyn Write) -> io::Result<ExitStatus> {
    match rules::by_code(code) {
        Some(r) => {
            writeln!(out, "# {} ({})\n", r.code, r.name)?;
            writeln!(out, "{}\n", r.summary)?;
            out.write_all(r.doc.as_bytes())?;
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
    let result = match engine::run(&args.paths, &settings) {
        Ok(r) => r,
        Err(e) => {
            writeln!(err, "fdlint: error: {e}")?;
            return Ok(ExitStatus::Error);
        }
    };
    let color = match args.color.as_str() {
        "always" => true,
        "never" => false,
        _ => {
            io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    let width = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(100);
    report::write(args.format, &result, HumanOptions { color, width }, out)?;
    out.flush()?;
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
        summary(&result, err)?;
    }
    let fail = settings
        .fail_on
        .is_some_and(|min| result.findings().any(|(_, f)| f.severity >= min));
    Ok(if fail {
        ExitStatus::Findings
    } else {
        ExitStatus::Clean
    })
}

fn summary(result: &RunResult, err: &mut dyn Write) -> io::Result<()> {
    let n: usize = result.files.iter().map(|f| f.findings.len()).sum();
    let ms = (result.stats.discover_time + result.stats.lint_time).as_millis();
    writeln!(
        err,
        "{} {} in {} {}; {} {} scanned in {ms} ms",
        n,
        if n == 1 { "finding" } else { "findings" },
        result.files.len(),
        if result.files.len() == 1 {
            "file"
        } else {
            "files"
        },
        result.stats.files_discovered,
        if result.stats.files_discovered == 1 {
            "file"
        } else {
            "files"
        },
    )
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
        "time: discovery {} ms, then read+prefilter+parse+rules {} ms (wall); \
         CPU summed over threads: read {} ms, prefilter {} ms, parse {} ms, rules {} ms",
        s.discover_time.as_millis(),
        s.lint_time.as_millis(),
        p.read.as_millis(),
        p.prefilter.as_millis(),
        p.parse.as_millis(),
        p.rules.as_millis()
    )
}
