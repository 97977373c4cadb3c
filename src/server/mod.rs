//! `fdlint server`: a Language Server over standard input and output, so every editor that
//! speaks LSP shows fdlint's findings as the code is typed.
//!
//! One message loop ([`Server::run`]) owns every document and all state; it never analyses.
//! Analysis runs on worker threads ([`analysis`]) that lint the unsaved text with the same entry
//! point and settings as `fdlint check --stdin-filename`; their results come back on a channel,
//! and a result is published only if it is for the document's newest text. Changes are
//! throttled: a change is analysed at once unless the document was analysed less than
//! [`DEBOUNCE`] ago, in which case the newest text is analysed when that time is up, so typing
//! costs at most one analysis per document per [`DEBOUNCE`].
//!
//! Requests that need a document's findings (code actions, hover) are answered from its last
//! analysis when that is current, and otherwise wait for the analysis of the newest text; a
//! waiting request can be cancelled (`$/cancelRequest`).
//!
//! Architecture invariants: the loop never blocks on analysis; a panic in analysis is caught on
//! the worker and becomes a logged error and a diagnostic; a document's diagnostics are always
//! those of its newest text; settings come from the CLI's own resolution ([`workspace`]).

mod actions;
mod analysis;
mod convert;
mod workspace;

use std::collections::HashMap;
use std::io::{self, BufRead, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, select};
use lsp_server::{ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::notification::{self as notif, Notification as _};
use lsp_types::request::{self as req, Request as _};
use lsp_types::{
    CodeActionKind, CodeActionOptions, CodeActionParams, CodeActionProviderCapability, Diagnostic,
    DidChangeConfigurationParams, DidChangeTextDocumentParams, DidChangeWatchedFilesParams,
    DidChangeWatchedFilesRegistrationOptions, DidCloseTextDocumentParams,
    DidOpenTextDocumentParams, DidSaveTextDocumentParams, FileSystemWatcher, GlobPattern,
    HoverParams, HoverProviderCapability, InitializeParams, InitializeResult, LogMessageParams,
    MessageType, OneOf, PublishDiagnosticsParams, Registration, RegistrationParams, SaveOptions,
    ServerCapabilities, ServerInfo, ShowMessageParams, TextDocumentContentChangeEvent,
    TextDocumentSyncCapability, TextDocumentSyncKind, TextDocumentSyncOptions,
    TextDocumentSyncSaveOptions, Uri, WorkspaceFoldersServerCapabilities,
    WorkspaceServerCapabilities,
};

use self::actions::Analysed;
use self::analysis::{Done, Job, Outcome};
use self::convert::{Encoding, Lines};
use self::workspace::{Options, Workspace};
use crate::discover;
use crate::engine::{FileProblem, Linted, ProblemKind};
use crate::facts::Lang;
use crate::finding::Finding;

/// The shortest time between two analyses of one document while it is being edited.
pub const DEBOUNCE: Duration = Duration::from_millis(150);

/// Run the server until the client says `exit` or closes standard input. Messages are read
/// from standard input on a thread of their own and written to `out`; why the input could not
/// be read, when it could not, goes to `err` once the session is over.
pub fn run(
    out: &mut dyn Write,
    err: &mut dyn Write,
    flags_to_settings: workspace::FlagsToSettings,
) -> io::Result<bool> {
    workspace::set_flags_to_settings(flags_to_settings);
    let (tx, rx) = crossbeam_channel::bounded::<Message>(0);
    let (problem_tx, problem) = crossbeam_channel::bounded::<String>(1);
    std::thread::Builder::new()
        .name("fdlint-lsp-reader".into())
        .spawn(move || {
            let mut stdin = io::stdin().lock();
            if let Some(e) = read_messages(&mut stdin, &tx) {
                // Before `tx` is dropped, which ends the session: the main thread then finds
                // it. (Not `eprintln!`: the CLI's caller may hold the stderr lock for the whole
                // run, as `main` does, and the reader would wait on it forever.)
                let _ = problem_tx.send(e);
            }
            drop(tx);
        })?;
    let clean = serve(&rx, out)?;
    if let Ok(e) = problem.try_recv() {
        writeln!(err, "fdlint server: cannot read a message: {e}")?;
    }
    Ok(clean)
}

/// Read messages until the input ends, is malformed (the error is returned), or `exit`
/// arrives.
fn read_messages(
    input: &mut dyn BufRead,
    tx: &crossbeam_channel::Sender<Message>,
) -> Option<String> {
    loop {
        match Message::read(&mut &mut *input) {
            Ok(Some(msg)) => {
                let exit =
                    matches!(&msg, Message::Notification(n) if n.method == notif::Exit::METHOD);
                if tx.send(msg).is_err() || exit {
                    return None;
                }
            }
            Ok(None) => return None,
            Err(e) => return Some(e.to_string()),
        }
    }
}

/// The whole session: the initialize handshake, then the loop. `Ok(true)` when the client shut
/// the server down before `exit` (exit status 0), `Ok(false)` otherwise (1, per LSP).
pub fn serve(incoming: &Receiver<Message>, out: &mut dyn Write) -> io::Result<bool> {
    let Some((id, params)) = wait_for_initialize(incoming, out)? else {
        return Ok(false);
    };
    let encoding = Encoding::negotiate(
        params
            .capabilities
            .general
            .as_ref()
            .and_then(|g| g.position_encodings.as_deref()),
    );
    let mut startup_errors = Vec::new();
    let options = match params.initialization_options.clone() {
        None | Some(serde_json::Value::Null) => Options::default(),
        Some(v) => serde_json::from_value(v).unwrap_or_else(|e| {
            startup_errors.push(format!("fdlint: initializationOptions: {e}"));
            Options::default()
        }),
    };
    let roots = workspace_roots(&params);
    let result = InitializeResult {
        capabilities: capabilities(encoding),
        server_info: Some(ServerInfo {
            name: "fdlint".into(),
            version: Some(env!("CARGO_PKG_VERSION").into()),
        }),
    };
    send(out, Response::new_ok(id, result).into())?;
    let (results_tx, results) = crossbeam_channel::unbounded();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
    let jobs = analysis::spawn(threads, results_tx, analysis::lint);
    let watch = params
        .capabilities
        .workspace
        .as_ref()
        .and_then(|w| w.did_change_watched_files.as_ref())
        .and_then(|c| c.dynamic_registration)
        .unwrap_or(false);
    let mut server = Server {
        out,
        encoding,
        workspace: Workspace::new(options, roots),
        docs: HashMap::new(),
        jobs,
        waiting: Vec::new(),
        shut_down: false,
        watch,
        next_generation: 1,
    };
    for e in startup_errors {
        server.show(MessageType::ERROR, e)?;
    }
    server.run(incoming, &results)
}

/// Answer everything before `initialize` as LSP asks: requests with an error, notifications
/// dropped (`exit` ends the session).
fn wait_for_initialize(
    incoming: &Receiver<Message>,
    out: &mut dyn Write,
) -> io::Result<Option<(RequestId, InitializeParams)>> {
    for msg in incoming {
        match msg {
            Message::Request(r) if r.method == req::Initialize::METHOD => {
                match serde_json::from_value::<InitializeParams>(r.params) {
                    Ok(p) => return Ok(Some((r.id, p))),
                    Err(e) => send(
                        out,
                        Response::new_err(
                            r.id,
                            ErrorCode::InvalidParams as i32,
                            format!("invalid initialize parameters: {e}"),
                        )
                        .into(),
                    )?,
                }
            }
            Message::Request(r) => send(
                out,
                Response::new_err(
                    r.id,
                    ErrorCode::ServerNotInitialized as i32,
                    "the server is not initialized".into(),
                )
                .into(),
            )?,
            Message::Notification(n) if n.method == notif::Exit::METHOD => return Ok(None),
            _ => {}
        }
    }
    Ok(None)
}

fn workspace_roots(p: &InitializeParams) -> Vec<PathBuf> {
    if let Some(folders) = &p.workspace_folders {
        return folders
            .iter()
            .filter_map(|f| convert::uri_to_path(&f.uri))
            .collect();
    }
    #[allow(deprecated)] // Older clients send only `rootUri`.
    p.root_uri
        .as_ref()
        .and_then(convert::uri_to_path)
        .into_iter()
        .collect()
}

fn capabilities(encoding: Encoding) -> ServerCapabilities {
    ServerCapabilities {
        position_encoding: Some(encoding.kind()),
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::INCREMENTAL),
                save: Some(TextDocumentSyncSaveOptions::SaveOptions(SaveOptions {
                    include_text: Some(false),
                })),
                ..TextDocumentSyncOptions::default()
            },
        )),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![CodeActionKind::QUICKFIX, actions::FIX_ALL]),
            resolve_provider: Some(false),
            ..CodeActionOptions::default()
        })),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        workspace: Some(WorkspaceServerCapabilities {
            workspace_folders: Some(WorkspaceFoldersServerCapabilities {
                supported: Some(true),
                change_notifications: Some(OneOf::Left(true)),
            }),
            file_operations: None,
        }),
        ..ServerCapabilities::default()
    }
}

fn send(out: &mut dyn Write, msg: Message) -> io::Result<()> {
    msg.write(&mut &mut *out)
}

/// An open document.
struct Document {
    /// `None`: not a language fdlint lints; nothing is published for it.
    lang: Option<Lang>,
    /// The file it is, or where an unsaved document is taken to live.
    path: PathBuf,
    version: i32,
    text: Arc<str>,
    generation: u64,
    /// `generation`, shared with the workers so they can drop superseded jobs.
    latest: Arc<AtomicU64>,
    /// When the newest text is due for analysis (`None`: not scheduled).
    due: Option<Instant>,
    last_started: Option<Instant>,
    /// The analysis of the current generation, once it has arrived.
    analysis: Option<Analysis>,
}

struct Analysis {
    text: Arc<str>,
    lines: Lines,
    findings: Vec<(Finding, Diagnostic)>,
}

/// A request waiting for the analysis of its document's newest text.
struct Waiting {
    id: RequestId,
    uri: Uri,
    request: Pending,
}

enum Pending {
    CodeAction(CodeActionParams),
    Hover(HoverParams),
}

struct Server<'a> {
    out: &'a mut dyn Write,
    encoding: Encoding,
    workspace: Workspace,
    docs: HashMap<Uri, Document>,
    jobs: crossbeam_channel::Sender<Job>,
    waiting: Vec<Waiting>,
    shut_down: bool,
    /// The client can watch files for us (dynamic registration of didChangeWatchedFiles).
    watch: bool,
    next_generation: u64,
}

impl Server<'_> {
    fn run(&mut self, incoming: &Receiver<Message>, results: &Receiver<Done>) -> io::Result<bool> {
        loop {
            let next = self.docs.values().filter_map(|d| d.due).min();
            let timer = match next {
                Some(t) => crossbeam_channel::at(t),
                None => crossbeam_channel::never(),
            };
            select! {
                recv(incoming) -> msg => match msg {
                    Ok(msg) => {
                        if let Some(clean) = self.handle(msg)? {
                            return Ok(clean);
                        }
                    }
                    // The client went away without `exit`.
                    Err(_) => return Ok(false),
                },
                recv(results) -> done => {
                    if let Ok(done) = done {
                        self.finished(done)?;
                    }
                },
                recv(timer) -> _ => self.start_due()?,
            }
        }
    }

    /// Handle one message; `Some(clean)` when the session is over.
    fn handle(&mut self, msg: Message) -> io::Result<Option<bool>> {
        match msg {
            Message::Request(r) => self.request(r)?,
            Message::Notification(n) => {
                if n.method == notif::Exit::METHOD {
                    return Ok(Some(self.shut_down));
                }
                if let Err(e) = self.notification(n) {
                    self.log(MessageType::ERROR, e)?;
                }
            }
            // Answers to our own requests (registering file watchers): nothing to do.
            Message::Response(_) => {}
        }
        Ok(None)
    }

    fn request(&mut self, r: Request) -> io::Result<()> {
        if self.shut_down {
            return self.respond_err(r.id, ErrorCode::InvalidRequest, "the server is shut down");
        }
        match r.method.as_str() {
            req::Shutdown::METHOD => {
                self.shut_down = true;
                self.respond(r.id, ())
            }
            req::CodeActionRequest::METHOD => match serde_json::from_value(r.params) {
                Ok(p) => self.answer_or_wait(r.id, Pending::CodeAction(p)),
                Err(e) => self.respond_err(r.id, ErrorCode::InvalidParams, &e.to_string()),
            },
            req::HoverRequest::METHOD => match serde_json::from_value(r.params) {
                Ok(p) => self.answer_or_wait(r.id, Pending::Hover(p)),
                Err(e) => self.respond_err(r.id, ErrorCode::InvalidParams, &e.to_string()),
            },
            _ => self.respond_err(
                r.id,
                ErrorCode::MethodNotFound,
                &format!("fdlint does not handle `{}`", r.method),
            ),
        }
    }

    fn notification(&mut self, n: Notification) -> Result<(), String> {
        let params = n.params;
        let bad = |e: serde_json::Error| format!("invalid `{}` parameters: {e}", n.method);
        match n.method.as_str() {
            notif::Initialized::METHOD => self.register_watchers().map_err(|e| e.to_string()),
            notif::DidOpenTextDocument::METHOD => {
                let p: DidOpenTextDocumentParams = serde_json::from_value(params).map_err(bad)?;
                let d = p.text_document;
                self.open(d.uri, &d.language_id, d.version, d.text)
                    .map_err(|e| e.to_string())
            }
            notif::DidChangeTextDocument::METHOD => {
                let p: DidChangeTextDocumentParams = serde_json::from_value(params).map_err(bad)?;
                self.change(
                    p.text_document.uri,
                    p.text_document.version,
                    p.content_changes,
                );
                Ok(())
            }
            notif::DidSaveTextDocument::METHOD => {
                let p: DidSaveTextDocumentParams = serde_json::from_value(params).map_err(bad)?;
                let uri = p.text_document.uri;
                if convert::uri_to_path(&uri).is_some_and(|p| workspace::affects_settings(&p)) {
                    self.settings_changed();
                } else if let Some(d) = self.docs.get_mut(&uri) {
                    d.due = Some(Instant::now());
                }
                Ok(())
            }
            notif::DidCloseTextDocument::METHOD => {
                let p: DidCloseTextDocumentParams = serde_json::from_value(params).map_err(bad)?;
                self.close(p.text_document.uri).map_err(|e| e.to_string())
            }
            notif::DidChangeWatchedFiles::METHOD => {
                let p: DidChangeWatchedFilesParams = serde_json::from_value(params).map_err(bad)?;
                if p.changes.iter().any(|c| {
                    convert::uri_to_path(&c.uri).is_some_and(|p| workspace::affects_settings(&p))
                }) {
                    self.settings_changed();
                }
                Ok(())
            }
            notif::DidChangeWorkspaceFolders::METHOD => {
                let p: lsp_types::DidChangeWorkspaceFoldersParams =
                    serde_json::from_value(params).map_err(bad)?;
                let removed: Vec<PathBuf> = p
                    .event
                    .removed
                    .iter()
                    .filter_map(|f| convert::uri_to_path(&f.uri))
                    .collect();
                let roots = &mut self.workspace.roots;
                roots.retain(|r| !removed.contains(r));
                roots.extend(
                    p.event
                        .added
                        .iter()
                        .filter_map(|f| convert::uri_to_path(&f.uri)),
                );
                Ok(())
            }
            notif::DidChangeConfiguration::METHOD => {
                let p: DidChangeConfigurationParams =
                    serde_json::from_value(params).map_err(bad)?;
                // `{"fdlint": {...}}` (most clients nest settings under the server's name).
                if let Some(section) = p.settings.get("fdlint") {
                    let opts = serde_json::from_value(section.clone())
                        .map_err(|e| format!("fdlint settings: {e}"))?;
                    self.workspace.set_options(opts);
                    self.settings_changed();
                }
                Ok(())
            }
            notif::Cancel::METHOD => {
                let p: lsp_types::CancelParams = serde_json::from_value(params).map_err(bad)?;
                let id: RequestId = match p.id {
                    lsp_types::NumberOrString::Number(n) => n.into(),
                    lsp_types::NumberOrString::String(s) => s.into(),
                };
                if let Some(i) = self.waiting.iter().position(|w| w.id == id) {
                    let w = self.waiting.remove(i);
                    self.respond_err(w.id, ErrorCode::RequestCanceled, "cancelled")
                        .map_err(|e| e.to_string())?;
                }
                Ok(())
            }
            // `$/setTrace` and the rest: nothing to do.
            _ => Ok(()),
        }
    }

    fn register_watchers(&mut self) -> io::Result<()> {
        if !self.watch {
            return Ok(());
        }
        let watchers = workspace::WATCHED
            .iter()
            .map(|n| format!("**/{n}"))
            .chain(["**/*.gemspec".to_string()])
            .map(|g| FileSystemWatcher {
                glob_pattern: GlobPattern::String(g),
                kind: None,
            })
            .collect();
        let params = RegistrationParams {
            registrations: vec![Registration {
                id: "fdlint-settings-files".into(),
                method: notif::DidChangeWatchedFiles::METHOD.into(),
                register_options: serde_json::to_value(DidChangeWatchedFilesRegistrationOptions {
                    watchers,
                })
                .ok(),
            }],
        };
        let r = Request::new(
            RequestId::from("fdlint-register-watchers".to_string()),
            req::RegisterCapability::METHOD.into(),
            params,
        );
        send(self.out, r.into())
    }

    fn open(&mut self, uri: Uri, language_id: &str, version: i32, text: String) -> io::Result<()> {
        let file = convert::uri_to_path(&uri);
        let path = file
            .clone()
            .unwrap_or_else(|| self.workspace.default_dir().join("untitled"));
        let lang = match language_id {
            "python" => Some(Lang::Python),
            "ruby" => Some(Lang::Ruby),
            "rust" => Some(Lang::Rust),
            _ => file
                .as_deref()
                .and_then(discover::lang_by_name)
                .or_else(|| {
                    discover::lang_by_shebang(text.lines().next().unwrap_or("").as_bytes())
                }),
        };
        let generation = self.bump();
        let doc = Document {
            lang,
            path,
            version,
            text: Arc::from(text),
            generation,
            latest: Arc::new(AtomicU64::new(generation)),
            due: lang.map(|_| Instant::now()),
            last_started: None,
            analysis: None,
        };
        if lang.is_none() {
            self.log(
                MessageType::INFO,
                format!(
                    "not linting {}: language `{language_id}` is not Python, Ruby or Rust",
                    uri.as_str()
                ),
            )?;
        }
        self.docs.insert(uri, doc);
        Ok(())
    }

    fn bump(&mut self) -> u64 {
        self.next_generation += 1;
        self.next_generation
    }

    fn change(&mut self, uri: Uri, version: i32, changes: Vec<TextDocumentContentChangeEvent>) {
        let generation = self.bump();
        let encoding = self.encoding;
        let Some(d) = self.docs.get_mut(&uri) else {
            return;
        };
        d.text = Arc::from(apply_changes(&d.text, changes, encoding));
        d.version = version;
        d.generation = generation;
        d.latest.store(generation, Ordering::Release);
        d.analysis = None;
        if d.lang.is_some() {
            let now = Instant::now();
            let earliest = d.last_started.map_or(now, |t| t + DEBOUNCE);
            d.due = Some(earliest.max(now));
        }
    }

    fn close(&mut self, uri: Uri) -> io::Result<()> {
        let Some(d) = self.docs.remove(&uri) else {
            return Ok(());
        };
        // Superseded: a running job's result is discarded, queued ones are dropped.
        d.latest.store(0, Ordering::Release);
        if d.lang.is_some() {
            self.publish(uri.clone(), Vec::new(), None)?;
        }
        self.answer_waiting(&uri)
    }

    fn settings_changed(&mut self) {
        self.workspace.invalidate();
        let now = Instant::now();
        for d in self.docs.values_mut() {
            if d.lang.is_some() {
                d.due = Some(now);
            }
        }
    }

    /// Queue every document whose time has come.
    fn start_due(&mut self) -> io::Result<()> {
        let now = Instant::now();
        let due: Vec<Uri> = self
            .docs
            .iter()
            .filter(|(_, d)| d.due.is_some_and(|t| t <= now))
            .map(|(u, _)| u.clone())
            .collect();
        for uri in due {
            let Some(d) = self.docs.get_mut(&uri) else {
                continue;
            };
            d.due = None;
            let Some(lang) = d.lang else {
                continue;
            };
            let path = d.path.clone();
            let (settings, error) = self.workspace.settings(&path);
            if let Some(e) = error {
                self.show(MessageType::ERROR, e)?;
            }
            let Some(d) = self.docs.get_mut(&uri) else {
                continue;
            };
            d.last_started = Some(now);
            if d.text.len() as u64 > settings.max_file_size {
                // Too large to analyse: say so, as `fdlint check` does, without a worker.
                let linted = Linted {
                    problems: vec![FileProblem {
                        path: path.clone(),
                        kind: ProblemKind::TooLarge,
                        line: None,
                        message: format!(
                            "{} bytes, larger than the {} byte limit; not analysed",
                            d.text.len(),
                            settings.max_file_size
                        ),
                    }],
                    ..Linted::default()
                };
                let done = Done {
                    uri: uri.clone(),
                    generation: d.generation,
                    outcome: Outcome::Linted(linted),
                    elapsed: Duration::ZERO,
                };
                self.finished(done)?;
                continue;
            }
            let job = Job {
                uri: uri.clone(),
                generation: d.generation,
                path,
                lang,
                text: Arc::clone(&d.text),
                settings,
                latest: Arc::clone(&d.latest),
            };
            if self.jobs.send(job).is_err() {
                return Err(io::Error::other("the analysis threads are gone"));
            }
        }
        Ok(())
    }

    fn finished(&mut self, done: Done) -> io::Result<()> {
        let Some(d) = self.docs.get_mut(&done.uri) else {
            return Ok(());
        };
        if d.generation != done.generation {
            return Ok(());
        }
        let text = Arc::clone(&d.text);
        let version = d.version;
        let path = d.path.clone();
        let lines = Lines::new(&text, self.encoding);
        let mut panicked = None;
        let linted = match done.outcome {
            Outcome::Linted(l) => l,
            Outcome::Panicked(msg) => {
                panicked = Some(msg.clone());
                Linted {
                    problems: vec![FileProblem {
                        path: path.clone(),
                        kind: ProblemKind::IoError,
                        line: None,
                        message: format!(
                            "fdlint could not analyse this file (internal error: {msg}); \
                             please report it"
                        ),
                    }],
                    ..Linted::default()
                }
            }
        };
        let findings: Vec<(Finding, Diagnostic)> = linted
            .findings
            .into_iter()
            .filter(Finding::is_active)
            .map(|f| {
                let diag = convert::diagnostic(&done.uri, &text, &lines, &f);
                (f, diag)
            })
            .collect();
        let mut diagnostics: Vec<Diagnostic> = findings.iter().map(|(_, d)| d.clone()).collect();
        diagnostics.extend(
            linted
                .problems
                .iter()
                .map(|p| convert::problem_diagnostic(&text, &lines, p)),
        );
        d.analysis = Some(Analysis {
            text,
            lines,
            findings,
        });
        if let Some(msg) = panicked {
            self.log(
                MessageType::ERROR,
                format!("analysis of {} panicked: {msg}", path.display()),
            )?;
        }
        if done.elapsed > Duration::from_secs(1) {
            self.log(
                MessageType::LOG,
                format!(
                    "{} took {} ms to analyse",
                    path.display(),
                    done.elapsed.as_millis()
                ),
            )?;
        }
        self.publish(done.uri.clone(), diagnostics, Some(version))?;
        self.answer_waiting(&done.uri)
    }

    fn publish(
        &mut self,
        uri: Uri,
        diagnostics: Vec<Diagnostic>,
        version: Option<i32>,
    ) -> io::Result<()> {
        let params = PublishDiagnosticsParams {
            uri,
            diagnostics,
            version,
        };
        send(
            self.out,
            Notification::new(notif::PublishDiagnostics::METHOD.into(), params).into(),
        )
    }

    fn answer_or_wait(&mut self, id: RequestId, request: Pending) -> io::Result<()> {
        let uri = match &request {
            Pending::CodeAction(p) => p.text_document.uri.clone(),
            Pending::Hover(p) => p.text_document_position_params.text_document.uri.clone(),
        };
        let stale = self
            .docs
            .get(&uri)
            .is_some_and(|d| d.lang.is_some() && d.analysis.is_none());
        if stale {
            self.waiting.push(Waiting { id, uri, request });
            Ok(())
        } else {
            self.answer(id, &uri, request)
        }
    }

    /// Answer the requests that waited for this document (analysed now, or closed).
    fn answer_waiting(&mut self, uri: &Uri) -> io::Result<()> {
        let (ready, rest): (Vec<Waiting>, Vec<Waiting>) = std::mem::take(&mut self.waiting)
            .into_iter()
            .partition(|w| &w.uri == uri);
        self.waiting = rest;
        for w in ready {
            self.answer(w.id, &w.uri, w.request)?;
        }
        Ok(())
    }

    fn answer(&mut self, id: RequestId, uri: &Uri, request: Pending) -> io::Result<()> {
        let analysed = self.docs.get(uri).and_then(|d| {
            let a = d.analysis.as_ref()?;
            Some(Analysed {
                uri,
                lang: d.lang?,
                text: &a.text,
                lines: &a.lines,
                findings: &a.findings,
            })
        });
        match request {
            Pending::CodeAction(p) => {
                let list = analysed.map_or_else(Vec::new, |a| {
                    actions::code_actions(&a, p.range, p.context.only.as_deref())
                });
                self.respond(id, list)
            }
            Pending::Hover(p) => {
                let h = analysed.and_then(|a| {
                    let offset = a
                        .lines
                        .offset(a.text, p.text_document_position_params.position);
                    actions::hover(&a, offset)
                });
                self.respond(id, h)
            }
        }
    }

    fn respond(&mut self, id: RequestId, result: impl serde::Serialize) -> io::Result<()> {
        send(self.out, Response::new_ok(id, result).into())
    }

    fn respond_err(&mut self, id: RequestId, code: ErrorCode, msg: &str) -> io::Result<()> {
        send(
            self.out,
            Response::new_err(id, code as i32, msg.into()).into(),
        )
    }

    fn log(&mut self, typ: MessageType, message: String) -> io::Result<()> {
        let params = LogMessageParams { typ, message };
        send(
            self.out,
            Notification::new(notif::LogMessage::METHOD.into(), params).into(),
        )
    }

    /// Show an error to the user (and log it): configuration mistakes must not go unnoticed.
    fn show(&mut self, typ: MessageType, message: String) -> io::Result<()> {
        self.log(typ, message.clone())?;
        let params = ShowMessageParams { typ, message };
        send(
            self.out,
            Notification::new(notif::ShowMessage::METHOD.into(), params).into(),
        )
    }
}

/// Apply a `didChange`'s changes in order: a change without a range is the whole new text.
fn apply_changes(
    text: &str,
    changes: Vec<TextDocumentContentChangeEvent>,
    encoding: Encoding,
) -> String {
    let mut text = text.to_string();
    for c in changes {
        match c.range {
            None => text = c.text,
            Some(r) => {
                let lines = Lines::new(&text, encoding);
                let start = lines.offset(&text, r.start);
                let end = lines.offset(&text, r.end).max(start);
                text.replace_range(start..end, &c.text);
            }
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use lsp_types::{Position, Range};

    use super::*;

    #[test]
    fn incremental_changes_apply_in_utf16() {
        let text = "é = 1\r\nfor fd in range(3, n):\r\n";
        let change = |l1, c1, l2, c2, t: &str| TextDocumentContentChangeEvent {
            range: Some(Range::new(Position::new(l1, c1), Position::new(l2, c2))),
            range_length: None,
            text: t.into(),
        };
        let out = apply_changes(
            text,
            vec![change(0, 4, 0, 5, "2"), change(1, 10, 1, 15, "xrange")],
            Encoding::Utf16,
        );
        assert_eq!(out, "é = 2\r\nfor fd in xrange(3, n):\r\n");
        let whole = TextDocumentContentChangeEvent {
            range: None,
            range_length: None,
            text: "x".into(),
        };
        assert_eq!(apply_changes(text, vec![whole], Encoding::Utf16), "x");
    }
}
