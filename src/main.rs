//! The `fdlint` binary: run the CLI, map its status to an exit code.

fn main() {
    let status = fdlint::cli::run(
        std::env::args_os(),
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    );
    std::process::exit(status as i32);
}
