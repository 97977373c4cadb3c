//! The `fdlint` binary: choose the allocator, run the CLI, map its status to an exit code.

/// mimalloc for Rust's allocations and for tree-sitter's (`main` installs it there): parsing
/// allocates and frees a node per token, and with glibc's allocator that was 9% of a corpus
/// run's CPU; mimalloc made the run 1.15x faster (bench/RESULTS.md). The library leaves the
/// allocator to whoever links it.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    // SAFETY: this runs before any tree-sitter call (nothing else runs before `main`'s first
    // line), once, on the only thread; the four functions are one allocator family's, never
    // return null for a non-zero size (mimalloc aborts instead) and align as `malloc` does.
    // The grammars' external scanners keep using libc's `malloc` for the state they allocate
    // and free themselves.
    #[allow(unsafe_code)]
    unsafe {
        tree_sitter::set_allocator(Some(tree_sitter::Allocator {
            malloc: libmimalloc_sys::mi_malloc,
            calloc: libmimalloc_sys::mi_calloc,
            realloc: libmimalloc_sys::mi_realloc,
            free: libmimalloc_sys::mi_free,
        }));
    }
    let status = fdlint::cli::run(
        std::env::args_os(),
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    );
    std::process::exit(status as i32);
}
