//! Probes for the external tools some integration tests drive (tests/it/tool_table.rs) and sets
//! a `fdlint_has_<tool>` cfg for each one found, so that a test needing a missing tool is
//! compiled as `#[ignore = "...: SKIPPED"]` and `cargo test` lists it as ignored instead of `ok`.
//! Under `FDLINT_REQUIRE_TOOLS=1` every cfg is set, so those tests run and fail loudly when
//! their tool is missing. The library and binary do not use these cfgs.

include!("tests/it/tool_table.rs");

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=tests/it/tool_table.rs");
    println!("cargo::rerun-if-env-changed=PATH");
    println!("cargo::rerun-if-env-changed=FDLINT_REQUIRE_TOOLS");
    // Installing a tool into the shared directory changes its listing. Only an existing path
    // is watched: cargo reruns the script on every build for a missing one.
    if std::path::Path::new(SHARED_TOOL_DIR).is_dir() {
        println!("cargo::rerun-if-changed={SHARED_TOOL_DIR}");
    }
    let required = tools_required();
    for tool in TOOLS {
        let cfg = cfg_name(tool);
        println!("cargo::rustc-check-cfg=cfg({cfg})");
        println!("cargo::rerun-if-env-changed={}", tool.env_var);
        match locate(tool) {
            Some(path) => {
                // A variable naming a missing file fails the test; do not rebuild forever.
                if path.exists() {
                    println!("cargo::rerun-if-changed={}", path.display());
                }
                println!("cargo::rustc-cfg={cfg}");
            }
            // The test then fails in `tools::find`, saying which tool is missing.
            None if required => println!("cargo::rustc-cfg={cfg}"),
            // `cargo test` lists its tests as ignored: "<tool> not found: SKIPPED".
            None => {}
        }
    }
}
