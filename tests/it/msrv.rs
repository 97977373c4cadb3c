//! The minimum Rust version is a fact about the locked dependency tree, not a wish: Cargo.toml's
//! `rust-version` must be at least the highest `rust-version` any locked package declares (read
//! from the registry sources through `cargo metadata`), and every place the docs name a minimum
//! toolchain says that version. Not `--offline`: metadata reads the manifests of every
//! platform's packages, and a fresh machine's `cargo build` has downloaded only Linux's (CI
//! failed on the Windows-only `encode_unicode` that way).

use std::path::Path;
use std::process::Command;

fn version(s: &str) -> Vec<u64> {
    s.split('.')
        .map(|p| p.parse().expect("numeric version"))
        .collect()
}

#[test]
fn rust_version_covers_every_locked_dependency_and_the_docs_say_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .args(["metadata", "--locked", "--format-version", "1"])
        .current_dir(root)
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "cargo metadata: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let packages = meta["packages"].as_array().unwrap();
    let ours = packages
        .iter()
        .find(|p| p["name"] == "fdlint")
        .and_then(|p| p["rust_version"].as_str())
        .expect("Cargo.toml sets rust-version")
        .to_string();
    let (need, who) = packages
        .iter()
        .filter(|p| p["name"] != "fdlint")
        .filter_map(|p| {
            let v = p["rust_version"].as_str()?;
            Some((version(v), format!("{} {} ({v})", p["name"], p["version"])))
        })
        .max()
        .expect("some dependency declares rust-version");
    assert!(
        version(&ours) >= need,
        "Cargo.toml's rust-version {ours} is below what {who} needs"
    );
    // Every "X.Y or newer" toolchain statement in the user docs names `rust-version`.
    let re = regex::Regex::new(r"\b1\.(\d+) or newer").unwrap();
    let mut docs = vec![root.join("README.md")];
    docs.extend(
        std::fs::read_dir(root.join("docs"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "md")),
    );
    let mut mentions = 0;
    for doc in &docs {
        let text = std::fs::read_to_string(doc).unwrap();
        for m in re.captures_iter(&text) {
            mentions += 1;
            let said = format!("1.{}", &m[1]);
            assert_eq!(
                version(&said),
                version(&ours),
                "{} says Rust {said} or newer; Cargo.toml's rust-version is {ours}",
                doc.display()
            );
        }
    }
    assert!(mentions > 0, "README.md names the minimum Rust version");
}
