//! Analysis off the message loop: worker threads take [`Job`]s from a channel, lint the text with
//! the library's in-memory entry point and send a [`Done`] back. The loop never waits for them.
//!
//! Architecture invariants: a job whose document has changed since it was queued is dropped
//! unstarted (its generation is older than the document's newest); a panic in analysis is caught
//! and becomes [`Outcome::Panicked`], so it never takes a worker, or the server, down.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};
use lsp_types::Uri;

use crate::engine::{self, Linted};
use crate::facts::Lang;
use crate::settings::Settings;

/// Worker stacks are as large as the CLI's: the Rust frontend's `syn` recurses on nesting.
const STACK_SIZE: usize = 32 * 1024 * 1024;

/// One document version to lint.
pub struct Job {
    pub uri: Uri,
    /// The server's own counter of the document's text versions (client versions restart when
    /// a document is reopened).
    pub generation: u64,
    pub path: PathBuf,
    pub lang: Lang,
    pub text: Arc<str>,
    pub settings: Arc<Settings>,
    /// The document's newest generation, advanced by the message loop on every change.
    pub latest: Arc<AtomicU64>,
}

impl Job {
    fn superseded(&self) -> bool {
        self.latest.load(Ordering::Acquire) != self.generation
    }
}

pub enum Outcome {
    Linted(Linted),
    /// The analysis panicked; the panic's message.
    Panicked(String),
}

/// A finished job.
pub struct Done {
    pub uri: Uri,
    pub generation: u64,
    pub outcome: Outcome,
    pub elapsed: Duration,
}

/// Start `threads` workers that run `analyse` on the jobs sent to the returned channel and send
/// what they produce to `results`. Workers stop when the job channel is closed.
pub fn spawn<F>(threads: usize, results: Sender<Done>, analyse: F) -> Sender<Job>
where
    F: Fn(&Job) -> Linted + Send + Sync + 'static,
{
    let (jobs, rx) = crossbeam_channel::unbounded::<Job>();
    let analyse = Arc::new(analyse);
    for i in 0..threads.max(1) {
        let rx: Receiver<Job> = rx.clone();
        let results = results.clone();
        let analyse = Arc::clone(&analyse);
        let spawned = std::thread::Builder::new()
            .name(format!("fdlint-analysis-{i}"))
            .stack_size(STACK_SIZE)
            .spawn(move || {
                for job in rx {
                    if job.superseded() {
                        continue;
                    }
                    let t = Instant::now();
                    let outcome = match catch_unwind(AssertUnwindSafe(|| analyse(&job))) {
                        Ok(linted) => Outcome::Linted(linted),
                        Err(payload) => Outcome::Panicked(panic_message(payload.as_ref())),
                    };
                    let done = Done {
                        uri: job.uri,
                        generation: job.generation,
                        outcome,
                        elapsed: t.elapsed(),
                    };
                    if results.send(done).is_err() {
                        break;
                    }
                }
            });
        // Without a thread to run on, the job channel closes and the loop reports it.
        if spawned.is_err() {
            break;
        }
    }
    jobs
}

/// The production analysis: exactly what `fdlint check --stdin-filename` does with the text.
pub fn lint(job: &Job) -> Linted {
    engine::lint_text(&job.path, job.lang, &job.text, &job.settings)
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic with a non-string payload".to_string()
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn job(generation: u64, latest: &Arc<AtomicU64>, text: &str) -> Job {
        Job {
            uri: Uri::from_str("file:///tmp/a.py").unwrap(),
            generation,
            path: PathBuf::from("/tmp/a.py"),
            lang: Lang::Python,
            text: Arc::from(text),
            settings: Arc::new(Settings::default()),
            latest: Arc::clone(latest),
        }
    }

    #[test]
    fn a_panic_is_an_outcome_and_the_worker_goes_on() {
        let (tx, rx) = crossbeam_channel::unbounded();
        let jobs = spawn(1, tx, |job: &Job| {
            if job.text.contains("boom") {
                panic!("analysis exploded");
            }
            lint(job)
        });
        let latest = Arc::new(AtomicU64::new(1));
        jobs.send(job(1, &latest, "boom")).unwrap();
        let done = rx.recv_timeout(Duration::from_secs(10)).unwrap();
        assert!(matches!(&done.outcome, Outcome::Panicked(m) if m == "analysis exploded"));
        latest.store(2, Ordering::Release);
        let text = "import os, resource\n\
                    for fd in range(3, resource.getrlimit(resource.RLIMIT_NOFILE)[1]):\n    \
                    os.close(fd)\n";
        jobs.send(job(2, &latest, text)).unwrap();
        let done = rx.recv_timeout(Duration::from_secs(10)).unwrap();
        assert_eq!(done.generation, 2);
        let Outcome::Linted(l) = done.outcome else {
            panic!("the worker did not survive the panic");
        };
        assert_eq!(l.findings.len(), 1);
        assert_eq!(l.findings[0].rule.code, "FD001");
    }

    #[test]
    fn superseded_jobs_are_dropped_unstarted() {
        let (tx, rx) = crossbeam_channel::unbounded();
        let (gate_tx, gate_rx) = crossbeam_channel::bounded::<()>(0);
        let (started_tx, started_rx) = crossbeam_channel::bounded::<()>(1);
        let jobs = spawn(1, tx, move |job: &Job| {
            // The first job holds the only worker until the test has queued the others.
            if job.generation == 1 {
                started_tx.send(()).unwrap();
                gate_rx.recv().unwrap();
            }
            Linted::default()
        });
        let latest = Arc::new(AtomicU64::new(1));
        jobs.send(job(1, &latest, "")).unwrap();
        started_rx.recv_timeout(Duration::from_secs(10)).unwrap();
        for g in 2..=4 {
            jobs.send(job(g, &latest, "")).unwrap();
        }
        latest.store(4, Ordering::Release);
        gate_tx.send(()).unwrap();
        // Generation 1 was running when it was superseded: its result is still sent (the loop
        // discards it); 2 and 3 never start.
        let got: Vec<u64> = (0..2)
            .map(|_| rx.recv_timeout(Duration::from_secs(10)).unwrap().generation)
            .collect();
        assert_eq!(got, [1, 4]);
        assert!(rx.recv_timeout(Duration::from_millis(100)).is_err());
    }
}
