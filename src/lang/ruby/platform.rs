//! Platform guards: code that runs only on Windows (`if Gem.win_platform?`, `RUBY_PLATFORM =~
//! /mswin|mingw|cygwin/`, `unless` a POSIX check, `File::ALT_SEPARATOR`, a `WINDOWS` constant
//! or a `windows?` method of the file defined from those) is not judged by the POSIX fd rules:
//! a loop or spawn call found there is no fact.
//!
//! A test says `Some(true)` when it holds only on Windows, `Some(false)` when it holds only off
//! Windows (`RUBY_PLATFORM !~ /mswin|mingw/`, `!Gem.win_platform?`), and `None` when it says
//! nothing about the platform. A regex counts only when every alternative names Windows: `/win/`
//! also matches `darwin`, and `/darwin|mswin/` is not Windows-only.

use super::*;

/// How many names and expression levels a platform test is followed through.
const MAX_TEST_DEPTH: u32 = 12;

/// Words that name a Windows Ruby platform (`x64-mingw32`, `i386-mswin32`, `x64-mingw-ucrt`,
/// `i386-cygwin`, `bccwin32`, `wince`) in `RUBY_PLATFORM` or `RbConfig::CONFIG["host_os"]`.
const WINDOWS_WORDS: &[&str] = &[
    "mswin", "mingw", "cygwin", "win32", "win64", "windows", "bccwin", "wince", "emx", "ucrt",
];

/// Whether every alternative of a regex (or a substring) names Windows.
fn names_windows_only(pattern: &str) -> bool {
    let p = pattern.to_ascii_lowercase();
    // One group around the whole pattern: `/(mswin|mingw)/`, `/^(?:mswin|mingw)/i`.
    let p = p.trim_start_matches('^').trim_end_matches('$');
    let p = p
        .strip_prefix("(?:")
        .or_else(|| p.strip_prefix('('))
        .and_then(|q| q.strip_suffix(')'))
        .unwrap_or(p);
    if p.contains(['(', ')']) {
        return false;
    }
    p.split('|')
        .all(|alt| !alt.is_empty() && WINDOWS_WORDS.iter().any(|w| alt.contains(w)))
}

/// How many methods deep `windows_only` follows callers (`a` only called by `b`, only called
/// under a Windows test).
const MAX_CALLER_DEPTH: u32 = 4;

impl<'t> Ctx<'t> {
    /// Which of `spans` hold code that runs only on Windows: some `if`/`unless`/ternary/
    /// modifier/`&&` or `case` around it reaches it only when a platform test says Windows, or
    /// it is in a method that this file calls only where the code runs only on Windows
    /// (`daemonize_with_spawn` called under `if ServerEngine.windows?` alone).
    pub(super) fn windows_only(&self, spans: &[Span]) -> Vec<bool> {
        self.windows_only_at(spans, 0)
    }

    /// `windows_only`, `depth` methods up the callers. The paths from the root to all spans
    /// come from one forward walk (`ts::enclosing_paths`; a descent from the root per span
    /// scanned the root's children each time, and 10,000 loops took a minute), and each guard
    /// is judged once however many spans it holds.
    fn windows_only_at(&self, spans: &[Span], depth: u32) -> Vec<bool> {
        let mut order: Vec<usize> = (0..spans.len()).collect();
        order.sort_by_key(|&i| spans[i]);
        let sorted: Vec<(usize, usize)> = order
            .iter()
            .map(|&i| (spans[i].start, spans[i].end))
            .collect();
        let mut memo: HashMap<(usize, usize), bool> = HashMap::new();
        let mut out = vec![false; spans.len()];
        for (k, path) in ts::enclosing_paths(self.root, &sorted).iter().enumerate() {
            let guarded = path.windows(2).any(|pair| {
                *memo
                    .entry((pair[0].id(), pair[1].id()))
                    .or_insert_with(|| self.guards_windows(pair[0], pair[1]))
            });
            // The innermost instance method around the span (not the span itself).
            let inner = match path.last() {
                Some(n) if (n.start_byte(), n.end_byte()) == sorted[k] => &path[..path.len() - 1],
                _ => &path[..],
            };
            let method = inner.iter().skip(1).rev().find(|n| n.kind() == "method");
            out[order[k]] = guarded
                || (depth < MAX_CALLER_DEPTH
                    && method.is_some_and(|m| self.called_only_on_windows(*m, depth)));
        }
        out
    }

    /// Whether method `def` is called in this file, and only from code that runs only on
    /// Windows. Every occurrence of its name must be read as a call of it (`name(...)`,
    /// `self.name`, a bare `name` where no local of that name is bound) or be its definition
    /// or a comment: a symbol (`send(:name)`, `method(:name)`), a string, a call on another
    /// receiver or a second definition may call it from anywhere, and then it is judged.
    /// Callers in other files cannot be seen: a method named only here is taken as this
    /// file's to call. Memoised per method; a method reached again while its callers are
    /// being read (recursion) counts as not Windows-only.
    fn called_only_on_windows(&self, def: Node<'t>, depth: u32) -> bool {
        if let Some(v) = self.windows_methods.borrow().get(&def.id()) {
            return *v;
        }
        self.windows_methods.borrow_mut().insert(def.id(), false);
        let v = self.callers_windows_only(def, depth);
        self.windows_methods.borrow_mut().insert(def.id(), v);
        v
    }

    fn callers_windows_only(&self, def: Node<'t>, depth: u32) -> bool {
        let Some(name_node) = def.child_by_field_name("name") else {
            return false;
        };
        let name = self.text(name_node);
        if name.is_empty() || self.methods.get(name).map_or(0, Vec::len) != 1 {
            return false;
        }
        let b = self.src.as_bytes();
        let is_ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80;
        let mut sites = Vec::new();
        for at in memchr::memmem::find_iter(b, name.as_bytes()) {
            let end = at + name.len();
            // `x.name?` for `name`, `@name`, `:name`, `$name` are other words.
            if at
                .checked_sub(1)
                .is_some_and(|i| is_ident(b[i]) || b[i] == b'@')
                || b.get(end)
                    .is_some_and(|c| is_ident(*c) || matches!(c, b'?' | b'!' | b'='))
            {
                continue;
            }
            let Some(n) = self.root.descendant_for_byte_range(at, end) else {
                return false;
            };
            if n == name_node || n.kind() == "comment" {
                continue;
            }
            if n.start_byte() != at || n.end_byte() != end || n.kind() != "identifier" {
                return false;
            }
            let site = match n.parent() {
                Some(p) if p.kind() == "call" && p.child_by_field_name("method") == Some(n) => {
                    match p.child_by_field_name("receiver") {
                        None => p,
                        Some(r) if r.kind() == "self" => p,
                        Some(_) => return false,
                    }
                }
                // A parameter of that name: its reads are no calls, and cannot be told apart.
                Some(p) if p.kind().ends_with("parameters") || p.kind().ends_with("_parameter") => {
                    return false;
                }
                // A bare `name`: a call unless a local of that name is bound in its scope.
                _ => {
                    let scope = self.scope_of(n).map_or(0, |s| s.id());
                    if self.local_bindings(scope, name).is_some() {
                        return false;
                    }
                    n
                }
            };
            sites.push(ts::span(site));
        }
        !sites.is_empty()
            && self
                .windows_only_at(&sites, depth + 1)
                .into_iter()
                .all(|w| w)
    }

    /// Whether `parent` runs `child` only when a platform test says Windows.
    fn guards_windows(&self, parent: Node<'t>, child: Node<'t>) -> bool {
        let field = |f: &str| parent.child_by_field_name(f);
        let test = |f: &str| -> Option<bool> {
            let c = field(f)?;
            if self.implies_windows(c, true, 0) {
                Some(true)
            } else if self.implies_windows(c, false, 0) {
                Some(false)
            } else {
                None
            }
        };
        match parent.kind() {
            "if" | "elsif" | "conditional" => {
                (field("consequence") == Some(child) && test("condition") == Some(true))
                    || (field("alternative") == Some(child) && test("condition") == Some(false))
            }
            "unless" => {
                (field("consequence") == Some(child) && test("condition") == Some(false))
                    || (field("alternative") == Some(child) && test("condition") == Some(true))
            }
            "if_modifier" => field("body") == Some(child) && test("condition") == Some(true),
            "unless_modifier" => field("body") == Some(child) && test("condition") == Some(false),
            // `Gem.win_platform? && system(...)`, `posix? || system(...)`.
            "binary" => {
                let op = field("operator").map(|o| self.text(o));
                field("right") == Some(child)
                    && match op {
                        Some("&&" | "and") => test("left") == Some(true),
                        Some("||" | "or") => test("left") == Some(false),
                        _ => false,
                    }
            }
            // `case RUBY_PLATFORM when /mswin|mingw/ then ...`
            "when" => {
                if parent.child_by_field_name("body") != Some(child) {
                    return false;
                }
                let Some(subject) = parent
                    .parent()
                    .and_then(|c| c.child_by_field_name("value"))
                    .filter(|v| self.is_platform_string(*v, 0))
                else {
                    return false;
                };
                let _ = subject;
                let mut cur = parent.walk();
                let patterns: Vec<Node> =
                    parent.children_by_field_name("pattern", &mut cur).collect();
                !patterns.is_empty() && patterns.iter().all(|p| self.windows_pattern(*p))
            }
            _ => false,
        }
    }

    /// A regex, string or `%r{}` literal whose every alternative names Windows.
    fn windows_pattern(&self, node: Node<'t>) -> bool {
        let node = match node.kind() {
            "pattern" => match node.named_child(0) {
                Some(n) => n,
                None => return false,
            },
            _ => node,
        };
        match node.kind() {
            "regex" | "string" => match statements(node).as_slice() {
                [c] if c.kind() == "string_content" => names_windows_only(self.text(*c)),
                _ => false,
            },
            _ => false,
        }
    }

    /// `RUBY_PLATFORM`, `RbConfig::CONFIG["host_os"]` (or `target_os`, `arch`), and names
    /// holding one of them.
    fn is_platform_string(&self, node: Node<'t>, depth: u32) -> bool {
        if depth > MAX_TEST_DEPTH {
            return false;
        }
        match node.kind() {
            "constant" => {
                let name = self.text(node);
                name == "RUBY_PLATFORM"
                    || self
                        .platform_value(name)
                        .is_some_and(|v| self.is_platform_string(v, depth + 1))
            }
            "scope_resolution" => self.text(node) == "::RUBY_PLATFORM",
            "element_reference" => {
                let object = node.child_by_field_name("object");
                let config = object.is_some_and(|o| {
                    matches!(
                        self.text(o),
                        "RbConfig::CONFIG" | "::RbConfig::CONFIG" | "Config::CONFIG"
                    )
                });
                let key = statements(node).into_iter().nth(1);
                config
                    && key.is_some_and(|k| {
                        matches!(
                            self.text(k).trim_matches(['"', '\'', ':']),
                            "host_os" | "target_os" | "arch" | "host"
                        )
                    })
            }
            "call" => {
                // `RUBY_PLATFORM.downcase`
                let m = method_name(node, self.src);
                matches!(m, "downcase" | "to_s" | "dup" | "freeze")
                    && node
                        .child_by_field_name("receiver")
                        .is_some_and(|r| self.is_platform_string(r, depth + 1))
            }
            "identifier" => self
                .platform_local(node)
                .is_some_and(|v| self.is_platform_string(v, depth + 1)),
            "parenthesized_statements" => match statements(node).as_slice() {
                [one] => self.is_platform_string(*one, depth + 1),
                _ => false,
            },
            _ => false,
        }
    }

    /// The one value of a constant (or instance variable) assigned once in the file.
    fn platform_value(&self, name: &str) -> Option<Node<'t>> {
        match self.global_bindings(name)?.as_slice() {
            [b] if b.node.kind() == "assignment" && b.index.is_none() => Some(b.value),
            _ => None,
        }
    }

    /// The one value of a local assigned once in its scope before `node`.
    fn platform_local(&self, node: Node<'t>) -> Option<Node<'t>> {
        let scope = self.scope_of(node).map_or(0, |s| s.id());
        let bs = self.local_bindings(scope, self.text(node))?;
        match bs.as_slice() {
            [b] if b.node.kind() == "assignment"
                && b.index.is_none()
                && b.node.end_byte() <= node.start_byte() =>
            {
                Some(b.value)
            }
            _ => None,
        }
    }

    /// Whether `node` being truthy (`want`) or falsy (`!want`) implies that the code runs on
    /// Windows: `Gem.win_platform? && x` truthy does, falsy does not; `!posix?` truthy does.
    pub(super) fn implies_windows(&self, node: Node<'t>, want: bool, depth: u32) -> bool {
        if depth > MAX_TEST_DEPTH {
            return false;
        }
        let d = depth + 1;
        match node.kind() {
            "parenthesized_statements" => match statements(node).as_slice() {
                [one] => self.implies_windows(*one, want, d),
                _ => false,
            },
            "unary" => {
                let (Some(op), Some(operand)) = (
                    node.child_by_field_name("operator"),
                    node.child_by_field_name("operand"),
                ) else {
                    return false;
                };
                matches!(self.text(op), "!" | "not") && self.implies_windows(operand, !want, d)
            }
            "binary" => {
                let (Some(op), Some(l), Some(r)) = (
                    node.child_by_field_name("operator"),
                    node.child_by_field_name("left"),
                    node.child_by_field_name("right"),
                ) else {
                    return false;
                };
                let (both, either) = (
                    || self.implies_windows(l, want, d) && self.implies_windows(r, want, d),
                    || self.implies_windows(l, want, d) || self.implies_windows(r, want, d),
                );
                match (self.text(op), want) {
                    ("&&" | "and", true) | ("||" | "or", false) => either(),
                    ("&&" | "and", false) | ("||" | "or", true) => both(),
                    _ => self.platform_atom(node, d) == Some(want),
                }
            }
            // A name holding a test (`WINDOWS = Gem.win_platform?`), or a predicate method.
            "constant" | "scope_resolution" | "instance_variable" | "class_variable"
            | "global_variable"
                if !self.is_alt_separator(node) =>
            {
                let name = super::const_name(node, self.src).unwrap_or(self.text(node));
                self.platform_value(name)
                    .is_some_and(|v| self.implies_windows(v, want, d))
            }
            "identifier" => match self.platform_local(node) {
                Some(v) => self.implies_windows(v, want, d),
                // `if windows?` without parentheses or arguments.
                None => self.method_implies(self.text(node), want, d),
            },
            "call"
                if node
                    .child_by_field_name("receiver")
                    .is_none_or(|r| r.kind() == "self")
                    && args(node).is_empty() =>
            {
                self.method_implies(method_name(node, self.src), want, d)
            }
            _ => self.platform_atom(node, d) == Some(want),
        }
    }

    /// A predicate of this file (`def windows?; Gem.win_platform?; end`), or one named for the
    /// platform (`windows?`, `posix?`).
    fn method_implies(&self, name: &str, want: bool, d: u32) -> bool {
        match self.methods.get(name).map(Vec::as_slice) {
            Some([def]) => def.child_by_field_name("body").is_some_and(|body| {
                match value_exprs(body).as_slice() {
                    [one] => self.implies_windows(*one, want, d),
                    _ => false,
                }
            }),
            Some(_) => false,
            None => platform_word(name) == Some(want),
        }
    }

    /// A test that says exactly which platform runs: `Some(true)` when it holds exactly on
    /// Windows (`Gem.win_platform?`, `RUBY_PLATFORM =~ /mswin|mingw/`, `File::ALT_SEPARATOR`),
    /// `Some(false)` when it holds exactly off Windows (`RUBY_PLATFORM !~ /mswin/`,
    /// `File::ALT_SEPARATOR.nil?`), else `None`.
    fn platform_atom(&self, node: Node<'t>, d: u32) -> Option<bool> {
        match node.kind() {
            "binary" => {
                let op = self.text(node.child_by_field_name("operator")?);
                let l = node.child_by_field_name("left")?;
                let r = node.child_by_field_name("right")?;
                if !matches!(op, "=~" | "!~" | "===" | "==" | "!=" | "eql?") {
                    return None;
                }
                let matched = (self.is_platform_string(l, d) && self.windows_pattern(r))
                    || (self.is_platform_string(r, d) && self.windows_pattern(l))
                    || self.os_env_windows(l, r)
                    || self.os_env_windows(r, l);
                matched.then_some(!matches!(op, "!~" | "!="))
            }
            "call" => self.platform_call(node, d),
            // `if File::ALT_SEPARATOR`: set only on Windows.
            "scope_resolution" if self.is_alt_separator(node) => Some(true),
            _ => None,
        }
    }

    fn is_alt_separator(&self, node: Node<'t>) -> bool {
        matches!(
            self.text(node),
            "File::ALT_SEPARATOR" | "::File::ALT_SEPARATOR"
        )
    }

    /// `ENV["OS"] == "Windows_NT"`.
    fn os_env_windows(&self, env: Node<'t>, value: Node<'t>) -> bool {
        env.kind() == "element_reference"
            && env
                .child_by_field_name("object")
                .is_some_and(|o| self.text(o) == "ENV")
            && statements(env)
                .get(1)
                .is_some_and(|k| self.text(*k).trim_matches(['"', '\'']) == "OS")
            && self.text(value).trim_matches(['"', '\'']) == "Windows_NT"
    }

    fn platform_call(&self, node: Node<'t>, d: u32) -> Option<bool> {
        let m = method_name(node, self.src);
        let recv = node.child_by_field_name("receiver");
        let a = args(node);
        match (recv, m) {
            // `RUBY_PLATFORM.match?(/mswin/)`, `/mingw/.match?(RUBY_PLATFORM)`,
            // `RUBY_PLATFORM.include?("mingw")`.
            (Some(r), "match?" | "match" | "include?" | "start_with?" | "end_with?")
                if a.len() == 1 =>
            {
                ((self.is_platform_string(r, d) && self.windows_pattern(a[0]))
                    || (matches!(m, "match?" | "match")
                        && self.is_platform_string(a[0], d)
                        && self.windows_pattern(r)))
                .then_some(true)
            }
            (Some(r), "nil?") if a.is_empty() && self.is_alt_separator(r) => Some(false),
            // `Gem.win_platform?`, `OS.windows?`, `ChildProcess.windows?`, `Platform.posix?`,
            // and the same predicates on any receiver (`@platform.windows?`,
            // `config.os.windows?`): the name says what is tested.
            (Some(_), _) if a.is_empty() => platform_word(m),
            _ => None,
        }
    }
}

/// A predicate whose name says which platform it tests (`win_platform?`, `windows?`, `posix?`).
fn platform_word(name: &str) -> Option<bool> {
    match name {
        "win_platform?" | "windows?" | "win?" | "mswin?" | "mingw?" | "win32?"
        | "windows_platform?" => Some(true),
        "posix?" | "unix?" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::names_windows_only;
    use crate::lang::FrontendOptions;
    use crate::lang::ruby::extract;

    /// How many spawn calls of `src` are judged.
    fn judged(src: &str) -> usize {
        extract(src, &FrontendOptions::default())
            .expect("extract")
            .spawns
            .len()
    }

    #[test]
    fn windows_only_code_is_not_judged() {
        for src in [
            "if Gem.win_platform?\n  system(cmd)\nend",
            "system(cmd) if Gem.win_platform?",
            "system(cmd) unless !Gem.win_platform?",
            "unless RUBY_PLATFORM !~ /mswin|mingw/\n  system(cmd)\nend",
            "if RUBY_PLATFORM.match?(/mingw/) then system(cmd) end",
            "system(cmd) if RbConfig::CONFIG['host_os'] =~ /mswin|mingw/",
            "system(cmd) if ::RbConfig::CONFIG[\"host_os\"] =~ /(mswin|mingw|cygwin)/i",
            "system(cmd) if File::ALT_SEPARATOR",
            "system(cmd) unless File::ALT_SEPARATOR.nil?",
            "WIN = RUBY_PLATFORM =~ /mswin|mingw/\nsystem(cmd) if WIN",
            "IS_WIN = Gem.win_platform?\nif !IS_WIN\nelse\n  system(cmd)\nend",
            "def win?; RUBY_PLATFORM =~ /mingw/; end\nsystem(cmd) if win?",
            "system(cmd) if OS.windows?",
            "system(cmd) unless ChildProcess.posix?",
            "Gem.win_platform? && system(cmd)",
            "system(cmd) if Gem.win_platform? && ENV['X']",
            "system(cmd) if ENV['OS'] == 'Windows_NT'",
            "x = Gem.win_platform? ? system(cmd) : nil",
            "case RUBY_PLATFORM\nwhen /mswin/, /mingw/ then system(cmd)\nend",
            "if linux?\nelsif Gem.win_platform?\n  system(cmd)\nend",
        ] {
            assert_eq!(judged(src), 0, "{src}");
        }
    }

    #[test]
    fn posix_code_and_loose_tests_are_judged() {
        for src in [
            "system(cmd)",
            "if Gem.win_platform?\nelse\n  system(cmd)\nend",
            "system(cmd) unless Gem.win_platform?",
            "system(cmd) if RUBY_PLATFORM =~ /win/",
            "system(cmd) if RUBY_PLATFORM =~ /darwin|mswin/",
            "system(cmd) if Gem.win_platform? || ENV['X']",
            "system(cmd) unless !Gem.win_platform? && ENV['X']",
            "system(cmd) if !Gem.win_platform? && ENV['X']",
            "system(cmd) if RUBY_PLATFORM =~ /linux/",
            "system(cmd) if WINDOWS",
            "def windows?; false; end\nsystem(cmd) if windows?",
            "case RUBY_PLATFORM\nwhen /mswin/, /linux/ then system(cmd)\nend",
            "case x\nwhen /mswin/ then system(cmd)\nend",
            "system(cmd) if @platform.linux?",
            "def windows?; false; end\nsystem(cmd) if self.windows?",
        ] {
            assert_eq!(judged(src), 1, "{src}");
        }
    }

    #[test]
    fn windows_predicates_on_any_receiver() {
        for src in [
            "system(cmd) if @platform.windows?",
            "system(cmd) if config.os.windows?",
            "system(cmd) unless host.posix?",
            "system(cmd) if self.windows?",
            "def windows?; Gem.win_platform?; end\nsystem(cmd) if self.windows?",
        ] {
            assert_eq!(judged(src), 0, "{src}");
        }
    }

    /// A method this file calls only from Windows-only code is Windows-only.
    #[test]
    fn methods_called_only_on_windows() {
        let def = "def start\n  system(cmd)\nend\n";
        for calls in [
            "start if Gem.win_platform?",
            "if ServerEngine.windows?\n  start\nelse\n  fork_start\nend",
            "self.start if windows?",
            "start() if OS.windows?\nstart if OS.windows? # start again",
            // Through a second method called only on Windows.
            "def go\n  start\nend\ngo if Gem.win_platform?",
        ] {
            let src = format!("{def}{calls}");
            assert_eq!(judged(&src), 0, "{src}");
        }
        for calls in [
            // Never called here, or called on POSIX too, or elsewhere by another name.
            "",
            "start if Gem.win_platform?\nstart",
            "if Gem.win_platform?\n  x\nelse\n  start\nend",
            "start if Gem.win_platform?\nat_exit(&method(:start))",
            "start if Gem.win_platform?\nsend(\"start\")",
            "start if Gem.win_platform?\nworker.start",
            // A local or a parameter of that name is no call.
            "start = 1 if Gem.win_platform?\nstart",
            "def run(start)\n  start if Gem.win_platform?\nend",
            // Defined twice: which one runs cannot be told.
            "def start; end\nstart if Gem.win_platform?",
            // Called from a method that only calls itself.
            "def again\n  start\n  again\nend",
        ] {
            let src = format!("{def}{calls}");
            assert!(judged(&src) >= 1, "{src}");
        }
        // Recursion only through itself: judged, and no hang.
        assert_eq!(
            judged("def retry_start(n)\n  system(cmd) || retry_start(n - 1)\nend"),
            1
        );
    }

    #[test]
    fn windows_regexes() {
        for p in [
            "mswin|mingw|cygwin",
            "mswin|mingw",
            "(mswin|mingw)",
            "^(?:mswin|mingw|bccwin|wince|emx)",
            "mingw",
            "cygwin|mswin|mingw|bccwin|wince|emx",
            "win32",
        ] {
            assert!(names_windows_only(p), "{p}");
        }
        // `win` matches `darwin`; a non-Windows alternative makes it not Windows-only.
        for p in [
            "win",
            "darwin|mswin",
            "linux",
            "",
            "mswin|",
            "(mswin)|(linux)",
        ] {
            assert!(!names_windows_only(p), "{p}");
        }
    }
}
