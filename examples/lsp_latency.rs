//! Latency of `fdlint server`: the time from sending a `didChange` to receiving the
//! diagnostics of that version, for a 2,000-line Python file holding the incident's loop, over
//! real pipes with the real binary.
//!
//! ```text
//! cargo build --release && cargo run --release --example lsp_latency -- [FDLINT] [LINES] [CHANGES]
//! ```
//!
//! `FDLINT` defaults to target/release/fdlint. Changes are sent 300 ms apart (longer than the
//! server's 150 ms debounce, so each one is analysed at once, as when a user pauses typing);
//! a burst of changes 20 ms apart is measured too, whose last diagnostics arrive within the
//! debounce of the last change.

use std::io::{BufRead, BufReader, Write};
use std::process::{ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

fn read_message(r: &mut impl BufRead) -> Option<Value> {
    let mut len = None;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(v) = line.strip_prefix("Content-Length: ") {
            len = v.parse::<usize>().ok();
        }
    }
    let mut body = vec![0; len?];
    r.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

fn send(w: &mut ChildStdin, v: &Value) {
    let body = v.to_string();
    write!(w, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
    w.flush().unwrap();
}

/// Wait for the diagnostics of `version`; returns how many there were.
fn diagnostics(rx: &Receiver<Value>, version: i64) -> usize {
    loop {
        let m = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("diagnostics within 30 s");
        if m["method"] == "textDocument/publishDiagnostics" && m["params"]["version"] == version {
            return m["params"]["diagnostics"].as_array().map_or(0, Vec::len);
        }
    }
}

fn document(lines: usize, variant: usize) -> String {
    let mut s = String::from("import os\nimport resource\nimport subprocess\n\n");
    s.push_str(
        "def drop_inherited_fds():\n    maxfd = resource.getrlimit(resource.RLIMIT_NOFILE)[1]\n    \
         if maxfd == resource.RLIM_INFINITY:\n        maxfd = 65536\n    \
         for fd in range(3, maxfd):\n        try:\n            os.close(fd)\n        \
         except OSError:\n            pass\n\n",
    );
    let mut n = 0;
    // Blocks of 8 lines while they fit, then one-line statements up to the size asked for.
    while s.lines().count() + 8 < lines {
        s.push_str(&format!(
            "def helper_{n}(items, limit={variant}):\n    total = 0\n    for i, item in \
             enumerate(items):\n        if i > limit:\n            break\n        total += \
             len(str(item))\n    return subprocess.call(['echo', str(total)])\n\n"
        ));
        n += 1;
    }
    while s.lines().count() < lines - 1 {
        s.push_str("padding = None\n");
    }
    s.push_str(&format!("# edit {variant}\n"));
    s
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let mut args = std::env::args().skip(1);
    let bin = args
        .next()
        .unwrap_or_else(|| "target/release/fdlint".to_string());
    let lines: usize = args.next().map_or(2000, |a| a.parse().unwrap());
    let changes: usize = args.next().map_or(30, |a| a.parse().unwrap());

    let mut child = Command::new(&bin)
        .arg("server")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {bin}: {e}"));
    let mut stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        let mut r = BufReader::new(stdout);
        while let Some(m) = read_message(&mut r) {
            if tx.send(m).is_err() {
                break;
            }
        }
    });
    let dir = std::env::temp_dir();
    let uri = format!("file://{}/fdlint_lsp_latency.py", dir.display());
    send(
        &mut stdin,
        &json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                "params": {"processId": null, "rootUri": null, "capabilities": {}}}),
    );
    loop {
        let m = rx.recv_timeout(Duration::from_secs(30)).unwrap();
        if m["id"] == 1 {
            break;
        }
    }
    send(
        &mut stdin,
        &json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}),
    );
    let text = document(lines, 0);
    assert_eq!(text.lines().count(), lines);
    send(
        &mut stdin,
        &json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument":
            {"uri": uri, "languageId": "python", "version": 0, "text": text}}}),
    );
    let found = diagnostics(&rx, 0);
    assert!(found >= 1, "the document's loop is found");

    let change = |stdin: &mut ChildStdin, version: usize| {
        let text = document(lines, version);
        send(
            stdin,
            &json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
                "textDocument": {"uri": uri, "version": version},
                "contentChanges": [{"text": text}]}}),
        );
    };
    let mut times = Vec::new();
    for v in 1..=changes {
        std::thread::sleep(Duration::from_millis(300));
        let t = Instant::now();
        change(&mut stdin, v);
        assert_eq!(diagnostics(&rx, v as i64), found);
        times.push(t.elapsed());
    }
    times.sort();
    println!(
        "{lines}-line Python file, {changes} changes 300 ms apart, change -> diagnostics: \
         median {:.1} ms, p90 {:.1} ms, max {:.1} ms",
        percentile(&times, 0.5).as_secs_f64() * 1e3,
        percentile(&times, 0.9).as_secs_f64() * 1e3,
        times.last().unwrap().as_secs_f64() * 1e3,
    );

    // A burst: 10 changes 20 ms apart; the newest text's diagnostics, after the last change.
    std::thread::sleep(Duration::from_millis(300));
    let first = changes + 1;
    let last = changes + 10;
    let mut t = Instant::now();
    for v in first..=last {
        t = Instant::now();
        change(&mut stdin, v);
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(diagnostics(&rx, last as i64), found);
    println!(
        "burst of 10 changes 20 ms apart: last change -> its diagnostics {:.1} ms (debounce 150 ms)",
        t.elapsed().as_secs_f64() * 1e3
    );

    // The analysis alone, in this process: what of the latency is linting the text.
    let settings = fdlint::settings::Settings::default();
    let path = dir.join("fdlint_lsp_latency.py");
    let mut alone = Vec::new();
    for v in 0..changes {
        let text = document(lines, v);
        let t = Instant::now();
        let linted =
            fdlint::engine::lint_text(&path, fdlint::facts::Lang::Python, &text, &settings);
        alone.push(t.elapsed());
        assert_eq!(linted.findings.len(), found);
    }
    alone.sort();
    println!(
        "engine::lint_text alone on the same texts: median {:.1} ms, p90 {:.1} ms",
        percentile(&alone, 0.5).as_secs_f64() * 1e3,
        percentile(&alone, 0.9).as_secs_f64() * 1e3,
    );

    send(
        &mut stdin,
        &json!({"jsonrpc": "2.0", "id": 2, "method": "shutdown", "params": null}),
    );
    send(
        &mut stdin,
        &json!({"jsonrpc": "2.0", "method": "exit", "params": null}),
    );
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}");
}
