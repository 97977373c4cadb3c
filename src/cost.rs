//! What a sweep costs at a concrete fd limit: calls, time and memory, worded for messages.
//!
//! The per-call and per-element figures are measurements recorded in the project's
//! `docs/FACTS.md` (copied from the team's verified facts), not guesses:
//! - one `close()` on an unused fd costs ~100–300 ns from C or Rust (FACTS §4: 182 ns measured,
//!   ~170 ns billiard, ~240 ns cplt);
//! - a Python-level `os.close` loop costs ~500–750 ns per fd (FACTS §4: billiard PRs 425/455;
//!   650–740 ns measured here on CPython 3.11);
//! - a Python 2 `range()` list costs 32.6 bytes per element (FACTS §2.4, measured on 2.7.18);
//!   Python 2's `list(...)` 33.0 and `set(...)` 56.0 (measured here on 2.7.18, docs/FACTS.md §8).

/// The value systemd (>= 240) hands out for `LimitNOFILE=infinity`: `fs.nr_open` as bumped by
/// PID 1, the hard limit the incident's host had after its Debian 13 upgrade.
pub const DEFAULT_ASSUMED_NOFILE: u64 = 1_073_741_816;

/// Thousands separators: `1,073,741,816`.
pub fn count(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A byte size in binary units, rounded for a message: `~32 GiB`, `~512 MiB`.
pub fn bytes(n: f64) -> String {
    const UNITS: [&str; 5] = ["bytes", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if v >= 100.0 || u == 0 {
        format!("~{:.0} {}", v, UNITS[u])
    } else {
        format!("~{:.1} {}", v, UNITS[u])
    }
}

/// A duration range in the largest sensible unit: `~2–5 min`, `~0.1–0.3 s`.
pub fn duration_range(lo_s: f64, hi_s: f64) -> String {
    fn unit(s: f64) -> (f64, &'static str) {
        if s >= 3600.0 {
            (3600.0, "h")
        } else if s >= 60.0 {
            (60.0, "min")
        } else if s >= 1.0 {
            (1.0, "s")
        } else if s >= 0.001 {
            (0.001, "ms")
        } else {
            (0.000_001, "µs")
        }
    }
    let (div, name) = unit(lo_s.max(hi_s / 10.0));
    // One precision for both ends, chosen by the larger: `~2–5 min`, not `~1.8–5 min`.
    let whole = hi_s / div >= 5.0;
    let fmt = |x: f64| {
        let v = x / div;
        if whole {
            format!("{v:.0}")
        } else if v >= 1.0 {
            let r = format!("{v:.1}");
            r.trim_end_matches(".0").to_string()
        } else {
            format!("{v:.2}")
        }
    };
    let (a, b) = (fmt(lo_s), fmt(hi_s));
    if a == b {
        format!("~{a} {name}")
    } else {
        format!("~{a}–{b} {name}")
    }
}

/// Per-iteration cost of a sweep, in nanoseconds (low, high), by where the loop runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoopRuntime {
    /// A loop in Python code (interpreter overhead per fd).
    Python,
    /// A loop in Ruby code.
    Ruby,
    /// A compiled loop (Rust, C, the CPython 2 `closerange`/`close_fds` C loop).
    Native,
}

impl LoopRuntime {
    pub fn ns_per_call(self) -> (f64, f64) {
        match self {
            // 500–600 ns (FACTS §4) to 650–740 ns (measured here, CPython 3.11, docs/FACTS.md).
            LoopRuntime::Python => (500.0, 750.0),
            // Ruby's loop allocates an IO object per fd and raises/rescues for every closed
            // one; see docs/FACTS.md for the measurement behind this figure.
            LoopRuntime::Ruby => (RUBY_NS_PER_FD.0, RUBY_NS_PER_FD.1),
            LoopRuntime::Native => (100.0, 300.0),
        }
    }

    /// `~9–11 min` for `calls` iterations.
    pub fn time(self, calls: u64) -> String {
        let (lo, hi) = self.ns_per_call();
        duration_range(calls as f64 * lo * 1e-9, calls as f64 * hi * 1e-9)
    }
}

/// Ruby `IO.for_fd(fd).close rescue nil` per fd, ns (see docs/FACTS.md, "Measured here").
pub const RUBY_NS_PER_FD: (f64, f64) = (1000.0, 1200.0);

/// Bytes per element of a container holding every fd number, under Python 2 when `python2`
/// (it changes only `list(...)` and `set(...)`: Python 2's int objects are 24 bytes, not 28).
pub fn bytes_per_element(container: crate::facts::Container, python2: bool) -> f64 {
    use crate::facts::Container::*;
    match container {
        // FACTS §2.4, measured: 8-byte pointer + 24-byte int object.
        Python2Range => 32.6,
        // See docs/FACTS.md, "Measured here".
        PythonList if python2 => PY2_LIST_BYTES,
        PythonSet if python2 => PY2_SET_BYTES,
        PythonList => PY3_LIST_BYTES,
        PythonSet => PY3_SET_BYTES,
        RubyArray => RUBY_ARRAY_BYTES,
        // A Vec of i32/RawFd.
        RustVec => 4.0,
    }
}

/// Measured here: `list(range(3, 1048576))` on CPython 3.11 (docs/FACTS.md).
pub const PY3_LIST_BYTES: f64 = 40.1;
/// Measured here: `set(range(0, 1048576))` on CPython 3.11 (docs/FACTS.md).
pub const PY3_SET_BYTES: f64 = 67.4;
/// Measured here: `list(range(3, 1048576))` on CPython 2.7.18, `sys.getsizeof` of the list
/// over its length (9.0: pointers with over-allocation) plus one int object (24) (docs/FACTS.md).
pub const PY2_LIST_BYTES: f64 = 33.0;
/// Measured here: `set(range(0, 1048576))` on CPython 2.7.18, `sys.getsizeof` of the set over
/// its length (32.0: hash table slots) plus one int object (24) (docs/FACTS.md).
pub const PY2_SET_BYTES: f64 = 56.0;
/// Measured here: `(3..1048576).to_a` on Ruby 3.1.2 (docs/FACTS.md).
pub const RUBY_ARRAY_BYTES: f64 = 8.2;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(count(1_073_741_813), "1,073,741,813");
        assert_eq!(count(999), "999");
        assert_eq!(count(1000), "1,000");
        assert_eq!(bytes(32.6 * 1_073_741_813.0), "~32.6 GiB");
        assert_eq!(bytes(1536.0), "~1.5 KiB");
        assert_eq!(LoopRuntime::Python.time(1_073_741_813), "~9–13 min");
        assert_eq!(LoopRuntime::Native.time(1_073_741_813), "~2–5 min");
        assert_eq!(LoopRuntime::Native.time(1_048_573), "~105–315 ms");
    }
}
