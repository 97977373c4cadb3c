//! The clock the frontends' deadlines read: the CPU time this thread has used, where the
//! platform has one (POSIX `CLOCK_THREAD_CPUTIME_ID`), else the wall clock.
//!
//! A deadline guards against inputs that make one file cost too much, so it should measure
//! what the input costs, not how busy the machine is: on a machine at load 13 on 2 cores (a CI
//! run beside other builds) a wall-clock deadline of 5 s cut the parse of files that take 0.3 s
//! of CPU, and findings vanished. The thread's CPU time grows only while this thread runs, so
//! a file is cut at nearly the same amount of work however loaded the machine is. (The step
//! budget in `Budget` stays the deterministic bound; the deadline is the backstop.)

use std::time::Duration;

/// A point on this thread's CPU clock after which work is abandoned. It belongs to the thread
/// that made it: another thread's CPU time is a different clock.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Deadline {
    at: Duration,
}

impl Deadline {
    /// `budget` from now, on this thread's clock; `None` when that overflows (no deadline).
    pub(crate) fn after(budget: Duration) -> Option<Self> {
        now().checked_add(budget).map(|at| Deadline { at })
    }

    /// Whether this thread has used up the time.
    pub(crate) fn passed(&self) -> bool {
        now() >= self.at
    }
}

/// This thread's CPU time since it started.
#[cfg(unix)]
fn now() -> Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    Duration::new(
        u64::try_from(t.tv_sec).unwrap_or(0),
        u32::try_from(t.tv_nsec).unwrap_or(0),
    )
}

/// The wall clock since the first look, where there is no thread CPU clock.
#[cfg(not(unix))]
fn now() -> Duration {
    use std::sync::OnceLock;
    use std::time::Instant;
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deadline_passes_after_this_thread_has_worked_and_not_while_it_sleeps() {
        let d = Deadline::after(Duration::from_millis(20)).unwrap();
        assert!(!d.passed());
        // Sleeping costs no CPU time (on unix): the deadline has not passed after 60 ms asleep.
        std::thread::sleep(Duration::from_millis(60));
        #[cfg(unix)]
        assert!(!d.passed(), "sleeping used up a CPU-time deadline");
        // Spinning does.
        let mut x = 0u64;
        while !d.passed() {
            x = std::hint::black_box(x.wrapping_add(1));
        }
        assert!(d.passed() && x > 0);
    }

    #[test]
    fn an_overflowing_budget_is_no_deadline() {
        assert!(Deadline::after(Duration::MAX).is_none());
    }
}
