//! Run-time settings of mimalloc, the global allocator of the `kds-webhook` binary (and of the
//! floor server and benches that compare against it).
//!
//! mimalloc keeps freed pages committed for `purge_delay` milliseconds (1,000 by default)
//! before returning them to the OS, so a burst of large reviews stays resident for a second
//! after it is answered. With 64 100 KB reviews in flight that was 46-47 MiB peak RSS; 100 ms
//! gave 40-42 MiB at the same CPU per review, while 25 ms and 10 ms cost 3% and 8% more CPU
//! (BENCHMARKS.md, "Memory"). The delay has no compile-time default in mimalloc (the
//! arena-commit default is set at build time in `.cargo/config.toml`), so it is set here, as
//! a default: `MIMALLOC_PURGE_DELAY` in the environment still overrides it.

// The only unsafe code in the crate: two calls into mimalloc's C API, which has no safe wrapper
// for its options.
#![allow(unsafe_code)]

use std::ffi::c_long;

/// `mi_option_purge_delay` in mimalloc v3's `mi_option_t` (libmimalloc-sys names no constant
/// for it); `tests/allocator.rs` checks the index against the option's environment variable.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Milliseconds freed memory stays committed before it is returned to the OS.
pub const PURGE_DELAY_MS: c_long = 100;

/// Sets mimalloc's defaults; call first thing in `main`, before any other thread exists
/// (mimalloc's option setters are not thread-safe). Harmless where mimalloc is linked but not
/// the global allocator.
pub fn configure() {
    // SAFETY: a plain C call setting an integer option; no other thread runs yet.
    unsafe { libmimalloc_sys::mi_option_set_default(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS) }
}

/// The purge delay in effect, in milliseconds.
pub fn purge_delay_ms() -> c_long {
    // SAFETY: reads an integer option.
    unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) }
}
