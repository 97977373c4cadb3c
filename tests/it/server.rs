//! `fdlint server` driven over pipes with JSON-RPC, as an editor drives it: the real binary, the
//! real framing, positions in UTF-16. And one real editor: neovim's built-in client, headless.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const TIMEOUT: Duration = Duration::from_secs(30);

const INCIDENT: &str = "fixtures/incident/highlighter_helper.py";

struct Client {
    child: Child,
    stdin: Option<ChildStdin>,
    messages: Receiver<Value>,
    /// Notifications and server requests received while waiting for something else.
    seen: Vec<Value>,
    next_id: i64,
}

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
    Some(serde_json::from_slice(&body).expect("the server sends JSON"))
}

impl Client {
    fn start() -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_fdlint"))
            .arg("server")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("fdlint server starts");
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
        Client {
            stdin: child.stdin.take(),
            child,
            messages: rx,
            seen: Vec::new(),
            next_id: 1,
        }
    }

    fn send(&mut self, v: Value) {
        let body = serde_json::to_string(&v).unwrap();
        let stdin = self.stdin.as_mut().expect("stdin is open");
        write!(stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        stdin.flush().unwrap();
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    fn request_id(&mut self, method: &str, params: Value) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        id
    }

    fn next(&mut self, deadline: Instant) -> Option<Value> {
        let left = deadline.saturating_duration_since(Instant::now());
        match self.messages.recv_timeout(left) {
            Ok(m) => Some(m),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => None,
        }
    }

    /// The response to request `id` (the whole message: `result` or `error`).
    fn response(&mut self, id: i64) -> Value {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let m = self
                .next(deadline)
                .unwrap_or_else(|| panic!("no response to request {id}; saw {:#?}", self.seen));
            if m.get("id") == Some(&json!(id)) && m.get("method").is_none() {
                return m;
            }
            self.seen.push(m);
        }
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.request_id(method, params);
        let r = self.response(id);
        assert!(r.get("error").is_none(), "{method} failed: {r}");
        r["result"].clone()
    }

    /// The next diagnostics published for `uri` (earlier ones already seen are skipped only if
    /// `fresh`), optionally for one document version.
    fn diagnostics(&mut self, uri: &str, version: Option<i64>) -> Vec<Value> {
        let matches = |m: &Value| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == uri
                && version.is_none_or(|v| m["params"]["version"] == v)
        };
        if let Some(i) = self.seen.iter().position(matches) {
            let m = self.seen.remove(i);
            return m["params"]["diagnostics"].as_array().unwrap().clone();
        }
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let m = self.next(deadline).unwrap_or_else(|| {
                panic!(
                    "no diagnostics for {uri} (version {version:?}); saw {:#?}",
                    self.seen
                )
            });
            if matches(&m) {
                return m["params"]["diagnostics"].as_array().unwrap().clone();
            }
            self.seen.push(m);
        }
    }

    fn initialize(&mut self, root: &Path, options: Value) -> Value {
        let caps = json!({
            "general": {"positionEncodings": ["utf-16"]},
            "workspace": {"didChangeWatchedFiles": {"dynamicRegistration": true}},
            "textDocument": {"publishDiagnostics": {"relatedInformation": true}}
        });
        let r = self.request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": uri(root),
                "workspaceFolders": [{"uri": uri(root), "name": "ws"}],
                "capabilities": caps,
                "initializationOptions": options,
            }),
        );
        self.notify("initialized", json!({}));
        r
    }

    fn open(&mut self, uri: &str, lang: &str, version: i64, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": lang, "version": version, "text": text}}),
        );
    }

    fn change(&mut self, uri: &str, version: i64, text: &str) {
        self.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version},
                   "contentChanges": [{"text": text}]}),
        );
    }

    /// `shutdown`, `exit`, and the exit status.
    fn shutdown(mut self) -> Option<i32> {
        let r = self.request("shutdown", Value::Null);
        assert_eq!(r, Value::Null);
        self.exit()
    }

    fn exit(mut self) -> Option<i32> {
        self.notify("exit", Value::Null);
        drop(self.stdin.take());
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                return s.code();
            }
            assert!(Instant::now() < deadline, "the server did not exit");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn uri(p: &Path) -> String {
    let mut s = String::from("file://");
    for b in p.to_str().unwrap().bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' => {
                s.push(b as char)
            }
            _ => s.push_str(&format!("%{b:02X}")),
        }
    }
    s
}

/// Byte offset of a UTF-16 position, as an editor computes it.
fn offset(text: &str, pos: &Value) -> usize {
    let line = pos["line"].as_u64().unwrap() as usize;
    let character = pos["character"].as_u64().unwrap() as usize;
    let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
    let mut units = 0;
    for (i, c) in text[start..].char_indices() {
        if units >= character || c == '\n' || c == '\r' {
            return start + i;
        }
        units += c.len_utf16();
    }
    text.len()
}

/// Apply a code action's workspace edit to `text`, as the editor would.
fn apply(text: &str, action: &Value, uri: &str) -> String {
    let mut edits: Vec<(usize, usize, String)> = action["edit"]["changes"][uri]
        .as_array()
        .unwrap_or_else(|| panic!("no edit for {uri} in {action}"))
        .iter()
        .map(|e| {
            (
                offset(text, &e["range"]["start"]),
                offset(text, &e["range"]["end"]),
                e["newText"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    edits.sort();
    let mut out = text.to_string();
    for (s, e, t) in edits.into_iter().rev() {
        out.replace_range(s..e, &t);
    }
    out
}

fn incident_text() -> String {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(INCIDENT))
        .expect("the incident fixture");
    // Characters outside ASCII before the end of the loop's line: UTF-16 columns differ from
    // byte columns, so a conversion mistake would put the comment in the wrong place.
    text.replace(
        "for fd in range(3, maxfd):  # expect: FD001",
        "for fd in range(3, maxfd):  # fermé — 😀",
    )
}

fn ignore_action(actions: &Value) -> Value {
    actions
        .as_array()
        .unwrap()
        .iter()
        .find(|a| {
            a["title"]
                .as_str()
                .is_some_and(|t| t.contains("fdlint: ignore[FD001]"))
        })
        .unwrap_or_else(|| panic!("no ignore action in {actions}"))
        .clone()
}

#[test]
fn diagnostics_code_actions_hover_and_a_clean_shutdown() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("highlighter_helper.py");
    let text = incident_text();
    std::fs::write(&path, &text).unwrap();
    let u = uri(&path);

    let mut c = Client::start();
    let init = c.initialize(dir.path(), json!({"assume-nofile": 4096}));
    let caps = &init["capabilities"];
    assert_eq!(caps["positionEncoding"], "utf-16");
    assert_eq!(caps["hoverProvider"], true);
    assert_eq!(caps["workspace"]["workspaceFolders"]["supported"], true);
    assert_eq!(
        caps["codeActionProvider"]["codeActionKinds"],
        json!(["quickfix", "source.fixAll.fdlint"])
    );

    c.open(&u, "python", 1, &text);
    let diags = c.diagnostics(&u, Some(1));
    assert_eq!(diags.len(), 1, "{diags:#?}");
    let d = &diags[0];
    assert_eq!(d["code"], "FD001");
    assert_eq!(d["source"], "fdlint");
    assert_eq!(d["severity"], 1);
    assert_eq!(d["range"]["start"], json!({"line": 17, "character": 4}));
    assert!(
        d["codeDescription"]["href"]
            .as_str()
            .unwrap()
            .ends_with("/docs/rules.md#fd001-rlimit-close-loop"),
        "{d}"
    );
    // The initialization option is applied: costs at RLIMIT_NOFILE = 4,096.
    let message = d["message"].as_str().unwrap();
    assert!(
        message.contains("4,093 calls at RLIMIT_NOFILE = 4,096"),
        "{message}"
    );
    let related: Vec<(&str, u64)> = d["relatedInformation"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            assert_eq!(r["location"]["uri"], u.as_str());
            (
                r["message"].as_str().unwrap(),
                r["location"]["range"]["start"]["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert!(
        related.contains(&("hard limit read here", 14)),
        "{related:?}"
    );
    assert!(
        related.contains(&("fallback bound 65,536", 16)),
        "{related:?}"
    );

    // A second sweep, typed in: two findings for version 2.
    let second = "\n\ndef again():\n    for fd in range(3, resource.getrlimit(resource.RLIMIT_NOFILE)[0]):\n        os.close(fd)\n";
    let text2 = text.replace("\n\ndef main():", &format!("{second}\n\ndef main():"));
    c.change(&u, 2, &text2);
    let diags = c.diagnostics(&u, Some(2));
    assert_eq!(diags.len(), 2, "{diags:#?}");

    // Hover on the first loop shows the rule's documentation.
    let hover = c.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": u}, "position": {"line": 17, "character": 6}}),
    );
    let md = hover["contents"]["value"].as_str().unwrap();
    assert!(md.starts_with("**FD001** `rlimit-close-loop`"), "{md}");
    assert!(md.contains("## What it does"), "{md}");
    let nothing = c.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": u}, "position": {"line": 0, "character": 0}}),
    );
    assert_eq!(nothing, Value::Null);

    // The ignore-comment action for each finding, applied as the editor applies it.
    let mut fixed = text2.clone();
    for d in &diags {
        let actions = c.request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": u}, "range": d["range"],
                   "context": {"diagnostics": [d]}}),
        );
        let action = ignore_action(&actions);
        assert_eq!(action["kind"], "quickfix");
        assert_eq!(action["diagnostics"][0]["code"], "FD001");
        // Both actions are computed against version 2; they touch different lines.
        let before = fixed.clone();
        fixed = apply(&fixed, &action, &u);
        assert_ne!(before, fixed);
    }
    assert!(
        fixed.contains(
            "for fd in range(3, maxfd):  # fermé — 😀  # fdlint: ignore[FD001] -- <reason>\n"
        ),
        "{fixed}"
    );
    c.change(&u, 3, &fixed);
    assert_eq!(c.diagnostics(&u, Some(3)), Vec::<Value>::new());

    // Closing clears the document's diagnostics.
    c.notify("textDocument/didClose", json!({"textDocument": {"uri": u}}));
    assert!(c.diagnostics(&u, None).is_empty());
    assert_eq!(c.shutdown(), Some(0));
}

#[test]
fn broken_unknown_and_huge_documents_do_not_kill_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = Client::start();
    // Before `initialize`, requests are refused as LSP says.
    let early = c.request_id("textDocument/hover", json!({}));
    assert_eq!(c.response(early)["error"]["code"], -32002);
    c.initialize(dir.path(), Value::Null);

    // A syntax error: the finding is still reported, and so is the error.
    let broken = uri(&dir.path().join("broken.py"));
    let text = format!("def oops(:\n    pass\n\n{}", incident_text());
    c.open(&broken, "python", 1, &text);
    let diags = c.diagnostics(&broken, Some(1));
    let messages: Vec<&str> = diags
        .iter()
        .map(|d| d["message"].as_str().unwrap())
        .collect();
    assert!(
        messages
            .iter()
            .any(|m| m.starts_with("syntax error on line 1")),
        "{messages:?}"
    );
    assert!(diags.iter().any(|d| d["code"] == "FD001"), "{diags:#?}");

    // Not a language fdlint lints: nothing is published, requests still answer.
    let notes = uri(&dir.path().join("notes.txt"));
    c.open(
        &notes,
        "plaintext",
        1,
        "for fd in range(3, maxfd): os.close(fd)\n",
    );
    let h = c.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": notes}, "position": {"line": 0, "character": 0}}),
    );
    assert_eq!(h, Value::Null);
    let actions = c.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": notes},
               "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 1}},
               "context": {"diagnostics": []}}),
    );
    assert_eq!(actions, json!([]));
    assert!(
        !c.seen.iter().any(|m| m["params"]["uri"] == notes.as_str()
            && m["method"] == "textDocument/publishDiagnostics"),
        "{:#?}",
        c.seen
    );

    // An unsaved buffer with no file: linted by its language id.
    c.open("untitled:Untitled-1", "python", 1, &incident_text());
    let diags = c.diagnostics("untitled:Untitled-1", Some(1));
    assert_eq!(diags.len(), 1, "{diags:#?}");
    assert_eq!(diags[0]["code"], "FD001");

    // Larger than the size limit: a diagnostic saying so, no analysis.
    let huge = uri(&dir.path().join("huge.py"));
    let line = "x = 1  # padding padding padding padding padding padding padding\n";
    let big = line.repeat(17 * 1024 * 1024 / line.len() + 1);
    c.open(&huge, "python", 1, &big);
    let diags = c.diagnostics(&huge, Some(1));
    assert_eq!(diags.len(), 1);
    assert!(
        diags[0]["message"]
            .as_str()
            .unwrap()
            .contains("larger than the 16777216 byte limit; not analysed"),
        "{diags:#?}"
    );

    // Invalid parameters are an error response, not a crash.
    let bad = c.request_id("textDocument/codeAction", json!({"textDocument": 7}));
    assert_eq!(c.response(bad)["error"]["code"], -32602);
    // The server is still there.
    c.change(&broken, 2, &incident_text());
    assert_eq!(c.diagnostics(&broken, Some(2)).len(), 1);
    assert_eq!(c.shutdown(), Some(0));
}

/// Input that is not LSP (a bad header, a body that is not JSON), before or after the
/// handshake: the server says why on stderr and exits with status 1. It used to hang for good:
/// the reader thread reported the error with `eprintln!` while `main` held the stderr lock.
#[test]
fn malformed_input_ends_the_server_with_a_message() {
    let init = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}}"#;
    let framed = |b: &str| format!("Content-Length: {}\r\n\r\n{b}", b.len());
    for (input, says) in [
        ("garbage\r\n\r\n".to_string(), "malformed header"),
        (framed("notjs"), "malformed LSP payload"),
        (framed(init) + &framed("{x}"), "malformed LSP payload"),
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_fdlint"))
            .arg("server")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("fdlint server starts");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        let deadline = Instant::now() + TIMEOUT;
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("the server still runs {TIMEOUT:?} after {input:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let mut err = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
        assert_eq!(status.code(), Some(1), "{input:?}: {err}");
        assert!(
            err.contains("fdlint server: cannot read a message") && err.contains(says),
            "{input:?}: {err}"
        );
    }
}

#[test]
fn a_request_waiting_for_analysis_can_be_cancelled() {
    let dir = tempfile::tempdir().unwrap();
    let u = uri(&dir.path().join("big.py"));
    let mut c = Client::start();
    c.initialize(dir.path(), Value::Null);
    // A few MB of code that the prefilter lets through: its analysis takes a while, and a code
    // action for it waits for that analysis, so the cancellation arrives first.
    let filler = "def f{n}(a, b):\n    return [x * a + b for x in range(a) if x % 3]\n\n";
    let mut text = incident_text();
    for n in 0..40_000 {
        text.push_str(&filler.replace("{n}", &n.to_string()));
    }
    c.open(&u, "python", 1, &text);
    let id = c.request_id(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": u},
               "range": {"start": {"line": 17, "character": 0}, "end": {"line": 17, "character": 0}},
               "context": {"diagnostics": []}}),
    );
    c.notify("$/cancelRequest", json!({"id": id}));
    let r = c.response(id);
    assert_eq!(r["error"]["code"], -32800, "{r}");
    // The analysis itself goes on and is published (with a timeout diagnostic beside the
    // finding when the per-file budget ran out on a slow build).
    let diags = c.diagnostics(&u, Some(1));
    let codes: Vec<&str> = diags.iter().filter_map(|d| d["code"].as_str()).collect();
    assert_eq!(
        codes
            .iter()
            .filter(|c| c.starts_with("FD"))
            .collect::<Vec<_>>(),
        [&"FD001"],
        "{diags:#?}"
    );
    assert!(
        codes.iter().all(|c| c.starts_with("FD") || *c == "timeout"),
        "{diags:#?}"
    );
    // Without shutdown, exit is status 1 (LSP).
    assert_eq!(c.exit(), Some(1));
}

#[test]
fn configuration_files_apply_and_reload_when_they_change() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("fdlint.toml");
    std::fs::write(&cfg, "ignore = [\"FD001\"]\n").unwrap();
    std::fs::create_dir(dir.path().join("src")).unwrap();
    let u = uri(&dir.path().join("src/helper.py"));
    let mut c = Client::start();
    c.initialize(dir.path(), Value::Null);
    // The server asks to be told about configuration files.
    let deadline = Instant::now() + TIMEOUT;
    let register = loop {
        let m = c.next(deadline).expect("a registerCapability request");
        if m["method"] == "client/registerCapability" {
            break m;
        }
        c.seen.push(m);
    };
    let watchers = register["params"]["registrations"][0]["registerOptions"]["watchers"].clone();
    assert!(
        watchers
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["globPattern"] == "**/fdlint.toml"),
        "{watchers}"
    );
    c.send(json!({"jsonrpc": "2.0", "id": register["id"], "result": null}));

    let text = incident_text();
    c.open(&u, "python", 1, &text);
    assert!(c.diagnostics(&u, Some(1)).is_empty());

    std::fs::write(&cfg, "python-version = \"3.12\"\n").unwrap();
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": uri(&cfg), "type": 2}]}),
    );
    let diags = c.diagnostics(&u, Some(1));
    assert_eq!(diags.len(), 1, "{diags:#?}");
    // Judged as configured, not from the file's own Python 2 syntax.
    let m = diags[0]["message"].as_str().unwrap();
    assert!(!m.contains("32.6 GiB list"), "{m}");

    // A broken configuration is shown to the user, and the server goes on with the defaults.
    std::fs::write(&cfg, "selct = [\"FD001\"]\n").unwrap();
    c.notify(
        "textDocument/didSave",
        json!({"textDocument": {"uri": uri(&cfg)}}),
    );
    let diags = c.diagnostics(&u, Some(1));
    assert_eq!(diags.len(), 1);
    assert!(
        c.seen.iter().any(|m| m["method"] == "window/showMessage"
            && m["params"]["message"]
                .as_str()
                .is_some_and(|s| s.contains("fdlint.toml:1"))),
        "{:#?}",
        c.seen
    );
    assert_eq!(c.shutdown(), Some(0));
}

#[test]
#[cfg_attr(not(fdlint_has_nvim), ignore = "nvim not found: SKIPPED")]
fn neovim_shows_the_incident_s_finding() {
    let Some(nvim) = super::tools::nvim() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("highlighter_helper.py");
    std::fs::copy(Path::new(env!("CARGO_MANIFEST_DIR")).join(INCIDENT), &file).unwrap();
    let init = dir.path().join("init.lua");
    // The setup of docs/editors.md (in neovim 0.7's terms), plus waiting for diagnostics and
    // printing them.
    std::fs::write(
        &init,
        r#"
local fdlint = os.getenv("FDLINT_BIN")
-- neovim 0.7's API (Debian 12 ships 0.7.2): start_client + buf_attach_client.
vim.api.nvim_create_autocmd("FileType", {
  pattern = { "python", "ruby", "rust" },
  callback = function(args)
    local id = vim.lsp.start_client({
      name = "fdlint",
      cmd = { fdlint, "server" },
      root_dir = vim.fn.fnamemodify(vim.api.nvim_buf_get_name(args.buf), ":p:h"),
    })
    vim.lsp.buf_attach_client(args.buf, id)
  end,
})
vim.api.nvim_create_autocmd("VimEnter", {
  callback = function()
    local buf = vim.api.nvim_get_current_buf()
    local ok = vim.wait(20000, function()
      return #vim.diagnostic.get(buf) > 0
    end, 50)
    local out = {}
    if not ok then
      table.insert(out, "TIMEOUT no diagnostics")
    end
    for _, d in ipairs(vim.diagnostic.get(buf)) do
      table.insert(out, string.format("DIAG %s %d:%d %s %s", d.source, d.lnum + 1, d.col + 1,
        tostring(d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code)),
        d.message:gsub("\n.*", "")))
    end
    vim.fn.writefile(out, os.getenv("FDLINT_NVIM_OUT"))
    vim.cmd("qall!")
  end,
})
"#,
    )
    .unwrap();
    let out = dir.path().join("out.txt");
    let status = Command::new(&nvim)
        .args(["--headless", "-i", "NONE", "-u"])
        .arg(&init)
        .env("XDG_CONFIG_HOME", dir.path())
        .env("XDG_DATA_HOME", dir.path())
        .env("XDG_STATE_HOME", dir.path())
        .arg(&file)
        .env("FDLINT_BIN", env!("CARGO_BIN_EXE_fdlint"))
        .env("FDLINT_NVIM_OUT", &out)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .status()
        .expect("nvim runs");
    assert!(status.success(), "nvim exited with {status}");
    let printed = std::fs::read_to_string(&out).expect("the Lua config wrote its output");
    let lines: Vec<&str> = printed.lines().collect();
    assert_eq!(lines.len(), 1, "{printed}");
    assert!(
        lines[0].starts_with(
            "DIAG fdlint 18:5 FD001 loop calls `close()` on every fd up to the hard fd limit"
        ),
        "{printed}"
    );
}

/// A finding's fix is offered as a quickfix (unsafe ones say so and are not preferred), and
/// applying it as the editor does clears the diagnostic; `source.fixAll.fdlint` leaves unsafe
/// fixes alone.
#[test]
fn fixes_are_code_actions_and_applying_one_clears_the_finding() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("runner.rb");
    let text = "def run(cmd)\n  Process.spawn(cmd, \"--fast\")\nend\n";
    std::fs::write(&path, text).unwrap();
    let u = uri(&path);

    let mut c = Client::start();
    c.initialize(dir.path(), json!({}));
    c.open(&u, "ruby", 1, text);
    let diags = c.diagnostics(&u, Some(1));
    assert_eq!(diags.len(), 1, "{diags:#?}");
    assert_eq!(diags[0]["code"], "FD003");

    let actions = c.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": u}, "range": diags[0]["range"],
               "context": {"diagnostics": [&diags[0]]}}),
    );
    let list = actions.as_array().unwrap();
    let fix = list
        .iter()
        .find(|a| {
            a["title"]
                .as_str()
                .is_some_and(|t| t.contains("close_others"))
        })
        .unwrap_or_else(|| panic!("no close_others fix among {actions:#}"));
    assert_eq!(fix["kind"], "quickfix");
    assert!(
        fix["title"].as_str().unwrap().ends_with("(unsafe)"),
        "{fix}"
    );
    assert_ne!(fix["isPreferred"], true, "{fix}");
    let fixed = apply(text, fix, &u);
    assert_eq!(
        fixed,
        "def run(cmd)\n  Process.spawn(cmd, \"--fast\", close_others: true)\nend\n"
    );

    // Fix-all takes safe fixes only: this file has none.
    let all = c.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": u},
               "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
               "context": {"diagnostics": [], "only": ["source.fixAll.fdlint"]}}),
    );
    assert!(
        all.as_array().is_none_or(|a| a.is_empty()),
        "fix-all offered an unsafe fix: {all:#}"
    );

    c.change(&u, 2, &fixed);
    assert_eq!(c.diagnostics(&u, Some(2)), Vec::<Value>::new());
    assert_eq!(c.shutdown(), Some(0));
}
