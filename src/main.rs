//! The `fdlint` binary: choose the allocator, run the CLI, map its status to an exit code.

/// mimalloc for Rust's allocations and for tree-sitter's (`main` installs it there): parsing
/// allocates and frees a node per token, and with glibc's allocator that was 9% of a corpus
/// run's CPU; with mimalloc the run's CPU fell from 2.80 to 2.27 s (bench/RESULTS.md). The
/// library leaves the allocator to whoever links it.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc v2's `mi_option_purge_delay` (the 16th entry of `mi_option_e` in its
/// `mimalloc.h`), which libmimalloc-sys does not name; the test below checks it by its
/// default. A run asks for little memory and ends: returning freed pages to the OS only to
/// fault them in again zeroed (`clear_page_erms`) was 6% of a corpus run's CPU, and the
/// language server's working set is one file's.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() {
    // SAFETY: setting an option is always allowed. This runs before any tree-sitter call
    // (nothing else runs before `main`'s first line), once, on the only thread; the four
    // functions are one allocator family's, never return null for a non-zero size (mimalloc
    // aborts instead) and align as `malloc` does. The grammars' external scanners keep using
    // libc's `malloc` for the state they allocate and free themselves.
    #[allow(unsafe_code)]
    unsafe {
        libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1);
        tree_sitter::set_allocator(Some(tree_sitter::Allocator {
            malloc: libmimalloc_sys::mi_malloc,
            calloc: libmimalloc_sys::mi_calloc,
            realloc: libmimalloc_sys::mi_realloc,
            free: libmimalloc_sys::mi_free,
        }));
    }
    // mimalloc asks for transparent huge pages on its arenas (`MADV_HUGEPAGE`), so the first
    // touch of each 2 MB region zeroes all of it: with them, zeroing pages was 8% of a corpus
    // run's samples and peak RSS 75 MB; without, 61 MB and 7% less wall (bench/RESULTS.md).
    // The flag is the process's (it applies to later faults in memory mapped before it) and
    // children inherit it; fdlint starts none. An error (an old kernel) changes nothing.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    let _ = rustix::thread::disable_transparent_huge_pages(true);
    let status = fdlint::cli::run(
        std::env::args_os(),
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    );
    std::process::exit(status as i32);
}

#[cfg(test)]
mod tests {
    /// `MI_OPTION_PURGE_DELAY` is the purge delay: its neighbours are the options the crate
    /// names, and its default is mimalloc's documented 10 ms (`MIMALLOC_PURGE_DELAY` unset).
    #[test]
    #[allow(unsafe_code)]
    fn the_purge_delay_option_is_the_one_main_sets() {
        use libmimalloc_sys::{
            mi_option_eager_commit_delay, mi_option_get, mi_option_use_numa_nodes,
        };
        assert_eq!(
            super::MI_OPTION_PURGE_DELAY,
            mi_option_eager_commit_delay + 1
        );
        assert_eq!(super::MI_OPTION_PURGE_DELAY, mi_option_use_numa_nodes - 1);
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            // SAFETY: reading an option is always allowed.
            assert_eq!(unsafe { mi_option_get(super::MI_OPTION_PURGE_DELAY) }, 10);
        }
    }
}
