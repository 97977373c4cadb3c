//! The Python wheel (`pypi/pyproject.toml`, maturin with `bindings = "bin"`): built by the real
//! maturin, installed with `pip install --no-index --find-links` into a fresh virtualenv, and run
//! from there with a PATH that has no cargo or rustup on it. The pre-commit hook that installs
//! the same wheel is tested in `precommit.rs`.
//!
//! Slow: the wheel is a release build (1.5-2 minutes on a warm cache). It is built once per test
//! binary ([`built_wheel`]) in its own target directory (`target/wheel`), so it neither waits for
//! nor invalidates the test build's artefacts.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::Instant;

use crate::tools;

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The directory holding the freshly built `fdlint` wheel (a local wheel index for
/// `pip --find-links`), or `None` when maturin is not installed (after `tools::find` said so).
/// Built once, whichever test asks first; a failed build fails every test that needs it.
pub fn built_wheel() -> Option<&'static Path> {
    static WHEEL: OnceLock<Result<Option<PathBuf>, String>> = OnceLock::new();
    match WHEEL.get_or_init(build) {
        Ok(dir) => dir.as_deref(),
        Err(e) => panic!("{e}"),
    }
}

fn build() -> Result<Option<PathBuf>, String> {
    let Some(maturin) = tools::find("maturin", "FDLINT_MATURIN") else {
        return Ok(None);
    };
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let out = tmp.join("wheel-dist");
    if out.exists() {
        fs::remove_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    }
    let target = tmp.parent().expect("target/tmp has a parent").join("wheel");
    let start = Instant::now();
    let o = Command::new(&maturin)
        .args(["build", "--release", "--locked", "--quiet", "-o"])
        .arg(&out)
        .current_dir(manifest_dir().join("pypi"))
        .env("CARGO_TARGET_DIR", &target)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{} does not run: {e}", maturin.display()))?;
    if !o.status.success() {
        return Err(format!("maturin build failed:\n{}", text(&o)));
    }
    eprintln!(
        "wheel: `maturin build --release --locked` took {:.1} s",
        start.elapsed().as_secs_f64()
    );
    Ok(Some(out))
}

/// The one wheel in `dir`.
pub fn wheel_file(dir: &Path) -> PathBuf {
    let wheels: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "whl"))
        .collect();
    assert_eq!(wheels.len(), 1, "{wheels:?}");
    wheels.into_iter().next().unwrap()
}

/// A PATH with the virtualenv's scripts and the system's, and nothing of a Rust toolchain.
pub fn path_without_rust(bin: &Path) -> String {
    format!("{}:/usr/bin:/bin", bin.display())
}

#[test]
#[cfg_attr(not(fdlint_has_maturin), ignore = "maturin not found: SKIPPED")]
fn wheel_installs_without_rust_and_lints_the_incident() {
    let Some(dir) = built_wheel() else {
        return;
    };
    let wheel = wheel_file(dir);
    let name = wheel.file_name().unwrap().to_str().unwrap();
    // A binary wheel: any Python 3, one platform (never `any`, which would be a source build's
    // placeholder).
    let prefix = format!("fdlint-{}-py3-none-", env!("CARGO_PKG_VERSION"));
    assert!(name.starts_with(&prefix), "{name}");
    assert!(!name.ends_with("-any.whl"), "{name}");

    let tmp = tempfile::tempdir().unwrap();
    let venv = tmp.path().join("venv");
    let o = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .stdin(Stdio::null())
        .output()
        .expect("python3 runs");
    assert!(o.status.success(), "python3 -m venv: {}", text(&o));
    let bin = venv.join("bin");
    let path = path_without_rust(&bin);

    let start = Instant::now();
    let o = Command::new(bin.join("pip"))
        .args([
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-index",
            "--find-links",
        ])
        .arg(dir)
        .arg("fdlint")
        .env("PATH", &path)
        .stdin(Stdio::null())
        .output()
        .expect("pip runs");
    assert!(o.status.success(), "pip install: {}", text(&o));
    eprintln!(
        "wheel: `pip install --no-index --find-links DIR fdlint` into a fresh venv took {:.2} s",
        start.elapsed().as_secs_f64()
    );

    // The package's metadata is Cargo.toml's.
    let o = Command::new(bin.join("python"))
        .args([
            "-c",
            "import importlib.metadata as m; d = m.metadata('fdlint'); \
             print(d['Version']); print(d['Summary']); \
             print(d.get('License-Expression') or d.get('License'))",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        format!(
            "{}\n{}\n{}\n",
            env!("CARGO_PKG_VERSION"),
            env!("CARGO_PKG_DESCRIPTION"),
            env!("CARGO_PKG_LICENSE")
        )
    );

    // Nothing on this PATH can build Rust, so what runs is the wheel's binary.
    let sh = |script: &str| {
        Command::new("/bin/sh")
            .args(["-c", script])
            .env_clear()
            .env("PATH", &path)
            .env("HOME", tmp.path())
            .current_dir(manifest_dir())
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    let o = sh("command -v cargo || command -v rustup || command -v rustc");
    assert!(
        !o.status.success(),
        "a Rust tool is on {path}: {}",
        text(&o)
    );
    let o = sh("command -v fdlint");
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        bin.join("fdlint").to_str().unwrap()
    );
    let o = sh("fdlint --version");
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        format!("fdlint {}", env!("CARGO_PKG_VERSION")),
        "{}",
        text(&o)
    );
    let o = sh("fdlint check fixtures/incident");
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let out = text(&o);
    assert!(out.contains("FD001"), "{out}");
    assert!(out.contains("highlighter_helper.py"), "{out}");
    assert!(out.contains("1 finding"), "{out}");
}

/// The root pyproject.toml's in-tree backend (what pre-commit's `pip install .` runs) makes a
/// metadata-only wheel requiring the `fdlint` wheel at Cargo.toml's version. Needs only python3.
#[test]
fn pre_commit_shim_requires_the_wheel_of_this_version() {
    let root = fs::read_to_string(manifest_dir().join("pyproject.toml")).unwrap();
    assert!(
        root.contains("build-backend = \"pre_commit_shim\""),
        "{root}"
    );
    assert!(root.contains("backend-path = [\"pypi\"]"), "{root}");
    assert!(root.contains("requires = []"), "{root}");
    let dir = tempfile::tempdir().unwrap();
    let o = Command::new("python3")
        .args([
            "-c",
            "import sys, zipfile; sys.path.insert(0, 'pypi'); import pre_commit_shim as b; \
             w = b.build_wheel(sys.argv[1]); print(w); \
             z = zipfile.ZipFile(sys.argv[1] + '/' + w); \
             print(z.read(f'fdlint_pre_commit_hook-{b._version()}.dist-info/METADATA').decode())",
        ])
        .arg(dir.path())
        .current_dir(manifest_dir())
        .env("PYTHONDONTWRITEBYTECODE", "1") // No __pycache__ in the checkout.
        .stdin(Stdio::null())
        .output()
        .expect("python3 runs");
    assert!(o.status.success(), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    let v = env!("CARGO_PKG_VERSION");
    assert!(
        out.starts_with(&format!("fdlint_pre_commit_hook-{v}-py3-none-any.whl\n")),
        "{out}"
    );
    assert!(out.contains(&format!("\nVersion: {v}\n")), "{out}");
    assert!(
        out.contains(&format!("\nRequires-Dist: fdlint=={v}\n")),
        "{out}"
    );

    // CI installs the maturin that pypi/pyproject.toml's build-system table allows.
    let pyproject = fs::read_to_string(manifest_dir().join("pypi/pyproject.toml")).unwrap();
    let range = regex::Regex::new(r#"requires = \["(maturin[^"]+)"\]"#)
        .unwrap()
        .captures(&pyproject)
        .expect("maturin in pypi/pyproject.toml's build-system requires")[1]
        .to_string();
    let ci = fs::read_to_string(manifest_dir().join(".ci/run")).unwrap();
    assert!(
        ci.contains(&format!("'{range}'")),
        ".ci/run does not install {range}"
    );
}
