use super::*;
use streaming_iterator::StreamingIterator;
use tree_sitter::QueryCursor;

fn facts(src: &str) -> Facts {
    extract(src, &FrontendOptions::default()).expect("extract")
}

fn at(src: &str, span: Span) -> &str {
    &src[span.start..span.end]
}

/// Every Ruby fixture, plus binding spellings the fixtures may lack.
fn ruby_sources() -> Vec<(String, String)> {
    let mut out = ts::testing::fixture_sources("rb");
    out.push((
        "spellings".into(),
        "A::B = 1\nA::C ||= 2\n@x, $y, *rest, z = 1, 2, 3, 4\n(a, b), c = [1, 2], 3\n\
         a = b = 5\nMAX ||= 3\n@@n &&= 4\nx += 1\ndef m(p = 1, q: 2, *r, s:, &blk)\n  \
         p = q if s\nend\ndef self.n; end\ndef o=(v); @o = v; end\nfoo(x = 1)\n\
         h = { a: 1 }\nbegin\n  t = 1\nrescue => e\nend\n@x = '@x = 2'\n# y = 3\n"
            .into(),
    ));
    out
}

#[test]
fn lazy_bindings_equal_the_bindings_query() {
    type Key = (String, Vec<(usize, usize, Option<usize>, bool)>);
    type Dump = (Vec<Key>, Vec<Key>, Vec<(String, Vec<usize>)>);
    fn dump(ctx: &Ctx) -> Dump {
        let ids = |bs: &Vec<Binding>| {
            bs.iter()
                .map(|b| (b.node.id(), b.value.id(), b.index, b.conditional))
                .collect::<Vec<_>>()
        };
        let mut locals: Vec<Key> = ctx
            .locals
            .borrow()
            .iter()
            .map(|((scope, n), bs)| (format!("{scope}:{n}"), ids(bs)))
            .collect();
        let mut globals: Vec<Key> = ctx
            .globals
            .borrow()
            .iter()
            .map(|(n, bs)| (n.clone(), ids(bs)))
            .collect();
        let mut methods: Vec<(String, Vec<usize>)> = ctx
            .methods
            .iter()
            .map(|(n, ds)| (n.clone(), ds.iter().map(|d| d.id()).collect()))
            .collect();
        locals.sort();
        globals.sort();
        methods.sort();
        (locals, globals, methods)
    }
    let query =
        tree_sitter::Query::new(&language(), BINDINGS_QUERY.1).expect("bindings.scm compiles");
    let cap = |n: &str| query.capture_index_for_name(n).unwrap();
    let mut parser = Parser::new();
    parser.set_language(&language()).unwrap();
    let mut bindings = 0;
    let budget = crate::lang::Budget::unlimited();
    for (path, src) in ruby_sources() {
        let tree = parser.parse(&src, None).unwrap();
        let root = tree.root_node();
        // The reference: every match of the query, added as the frontend used to.
        let mut reference = Ctx::new(&src, root, &budget);
        let mut cursor = QueryCursor::new();
        let mut matches = cursor.matches(&query, root, src.as_bytes());
        while let Some(m) = matches.next() {
            let get = |i: u32| m.captures().iter().find(|c| c.index == i).map(|c| c.node);
            if let (Some(def), Some(name)) = (get(cap("method.def")), get(cap("method.name"))) {
                reference
                    .methods
                    .entry(ts::text(name, &src).to_string())
                    .or_default()
                    .push(def);
                continue;
            }
            let Some(value) = get(cap("assign.value")) else {
                continue;
            };
            let (node, cond) = [
                ("assign.plain", false),
                ("assign.cond", true),
                ("assign.param", false),
                ("assign.multi", false),
            ]
            .into_iter()
            .find_map(|(c, cond)| get(cap(c)).map(|n| (n, cond)))
            .unwrap();
            if let Some(name) = get(cap("assign.name")) {
                reference.add_binding(name, node, value, None, cond);
            } else if let Some(list) = get(cap("assign.names")) {
                let mut cur = list.walk();
                for (i, target) in list.named_children(&mut cur).enumerate() {
                    if target.kind() == "rest_assignment" {
                        break;
                    }
                    reference.add_binding(target, node, value, Some(i), cond);
                }
            }
        }
        for v in reference.locals.borrow_mut().values_mut() {
            v.sort_by_key(|b| b.node.start_byte());
        }
        for v in reference.globals.borrow_mut().values_mut() {
            v.sort_by_key(|b| b.node.start_byte());
        }
        // The lazy lookup, asked about every name in the file.
        let mut lazy = Ctx::new(&src, root, &budget);
        lazy.index_methods();
        ts::walk(root, |n| {
            if matches!(
                n.kind(),
                "identifier"
                    | "constant"
                    | "instance_variable"
                    | "class_variable"
                    | "global_variable"
            ) {
                lazy.index_name(ts::text(n, &src));
            }
            true
        });
        let want = dump(&reference);
        bindings += want.0.len() + want.1.len();
        assert_eq!(dump(&lazy), want, "{path}");
    }
    assert!(
        bindings > 100,
        "only {bindings} bound names in the fixtures"
    );
}

/// The only close loop of `src`.
fn one_loop(src: &str) -> CloseLoop {
    let f = facts(src);
    assert_eq!(f.close_loops.len(), 1, "{:#?}", f.close_loops);
    f.close_loops.into_iter().next().unwrap()
}

fn limit(source: LimitSource) -> BoundKind {
    BoundKind::Limit { source }
}

#[test]
fn upto_with_multiple_assignment() {
    let src = "def d\n  soft, hard = Process.getrlimit(:NOFILE)\n  3.upto(hard) { |fd| IO.for_fd(fd).close rescue nil }\nend\n";
    let c = one_loop(src);
    assert_eq!(at(src, c.span), "3.upto(hard)");
    assert_eq!(c.action, FdAction::Close);
    assert_eq!(at(src, c.action_span), "IO.for_fd(fd).close");
    assert_eq!(c.lower, Some(3));
    assert_eq!(c.bound.kind, limit(LimitSource::GetrlimitHard));
    assert_eq!(at(src, c.bound.origin), "Process.getrlimit(:NOFILE)");
    assert_eq!(c.bound.via.as_deref(), Some("hard"));
    assert!(c.bound.fallbacks.is_empty());
    assert_eq!(c.bound.cap, None);
}

#[test]
fn underscore_multiple_assignment_and_soft() {
    let src = "_, hard = Process.getrlimit(:NOFILE)\nsoft, = Process.getrlimit(:NOFILE)\n3.upto(hard) { |fd| IO.for_fd(fd).close }\n3.upto(soft) { |fd| IO.for_fd(fd).close }\n";
    let f = facts(src);
    assert_eq!(f.close_loops.len(), 2);
    assert_eq!(
        f.close_loops[0].bound.kind,
        limit(LimitSource::GetrlimitHard)
    );
    assert_eq!(
        f.close_loops[1].bound.kind,
        limit(LimitSource::GetrlimitSoft)
    );
}

#[test]
fn each_over_exclusive_range_with_do_block() {
    let src = "max = Process.getrlimit(Process::RLIMIT_NOFILE).first\n(3...max).each do |fd|\n  begin\n    IO.for_fd(fd).close\n  rescue Errno::EBADF\n  end\nend\n";
    let c = one_loop(src);
    assert_eq!(at(src, c.span), "(3...max).each");
    assert_eq!(c.bound.kind, limit(LimitSource::GetrlimitSoft));
    assert_eq!(
        at(src, c.bound.origin),
        "Process.getrlimit(Process::RLIMIT_NOFILE)"
    );
}

#[test]
fn times_has_lower_zero_and_direct_call_has_no_via() {
    let src = "Process.getrlimit(\"NOFILE\")[0].times { |fd| File.for_fd(fd).close rescue nil }\n";
    let c = one_loop(src);
    assert_eq!(at(src, c.span), "Process.getrlimit(\"NOFILE\")[0].times");
    assert_eq!(c.lower, Some(0));
    assert_eq!(c.bound.kind, limit(LimitSource::GetrlimitSoft));
    assert_eq!(c.bound.via, None);
}

#[test]
fn for_loop_with_sysconf_and_rescue_fallback() {
    let src = "max = Etc.sysconf(Etc::SC_OPEN_MAX) rescue 256\nfor fd in 3..max do\n  IO.for_fd(fd, autoclose: true) rescue nil\nend\n";
    let c = one_loop(src);
    assert_eq!(at(src, c.span), "for fd in 3..max");
    assert_eq!(c.action, FdAction::Wrap);
    assert_eq!(at(src, c.action_span), "IO.for_fd(fd, autoclose: true)");
    assert_eq!(c.bound.kind, limit(LimitSource::Sysconf));
    assert_eq!(at(src, c.bound.origin), "Etc.sysconf(Etc::SC_OPEN_MAX)");
    assert_eq!(c.bound.fallbacks.len(), 1);
    assert_eq!(c.bound.fallbacks[0].value, 256);
    assert_eq!(at(src, c.bound.fallbacks[0].span), "256");
}

#[test]
fn while_loop_with_infinity_fallback() {
    let src = "def c\n  fd = 3\n  max = Process.getrlimit(:NOFILE)[1]\n  max = 65536 if max == Process::RLIM_INFINITY\n  while fd <= max\n    IO.for_fd(fd).fcntl(Fcntl::F_SETFD, Fcntl::FD_CLOEXEC) rescue nil\n    fd += 1\n  end\nend\n";
    let c = one_loop(src);
    assert_eq!(at(src, c.span), "while fd <= max");
    assert_eq!(c.action, FdAction::SetCloexec);
    assert_eq!(
        at(src, c.action_span),
        "IO.for_fd(fd).fcntl(Fcntl::F_SETFD, Fcntl::FD_CLOEXEC)"
    );
    assert_eq!(c.lower, Some(3));
    assert_eq!(c.bound.kind, limit(LimitSource::GetrlimitHard));
    assert_eq!(c.bound.fallbacks.len(), 1);
    assert_eq!(c.bound.fallbacks[0].value, 65536);
}

#[test]
fn while_conditions() {
    let body = "\n  IO.for_fd(fd).close rescue nil\n  fd += 1\nend\n";
    let lim = "max = Process.getrlimit(:NOFILE)[1]\nfd = 3\n";
    for cond in ["fd < max", "fd <= max"] {
        one_loop(&format!("{lim}while {cond}{body}"));
    }
    for cond in [
        "fd > max",
        "fd != max",
        "max > fd",
        "fd.succ < max",
        "fd < max && ok",
    ] {
        let f = facts(&format!("{lim}while {cond}{body}"));
        assert!(f.close_loops.is_empty(), "{cond}: {:#?}", f.close_loops);
    }
}

#[test]
fn close_on_exec_assignment() {
    let src = "MAX_FD = Process.getrlimit(:NOFILE)[1]\n(3..MAX_FD).each { |fd| IO.for_fd(fd).close_on_exec = true rescue nil }\n";
    let c = one_loop(src);
    assert_eq!(c.action, FdAction::SetCloexec);
    assert_eq!(at(src, c.action_span), "IO.for_fd(fd).close_on_exec = true");
    assert_eq!(c.bound.via.as_deref(), Some("MAX_FD"));
    assert_eq!(c.bound.kind, limit(LimitSource::GetrlimitHard));
}

#[test]
fn begin_rescue_fallback_and_arithmetic() {
    let src = "def c\n  begin\n    max = Integer(Process.getrlimit(:NOFILE)[1].to_i)\n  rescue StandardError\n    max = 1024\n  end\n  3.upto(max - 1) { |fd| IO.new(fd).close rescue nil }\nend\n";
    let c = one_loop(src);
    assert_eq!(at(src, c.span), "3.upto(max - 1)");
    assert_eq!(c.bound.kind, limit(LimitSource::GetrlimitHard));
    assert_eq!(c.bound.via.as_deref(), Some("max"));
    assert_eq!(
        c.bound
            .fallbacks
            .iter()
            .map(|f| f.value)
            .collect::<Vec<_>>(),
        vec![1024]
    );
}

#[test]
fn or_default_and_ternary_fallbacks() {
    let src = "def a(o)\n  max = o[:max] || Process.getrlimit(:NOFILE)[1] || 4096\n  3.upto(max) { |fd| IO.for_fd(fd).close }\nend\ndef b(cap)\n  max = cap ? 2048 : Process.getrlimit(:NOFILE).last\n  3.upto(max) { |fd| IO.for_fd(fd).close }\nend\n";
    let f = facts(src);
    assert_eq!(f.close_loops.len(), 2);
    assert_eq!(f.close_loops[0].bound.fallbacks[0].value, 4096);
    assert_eq!(f.close_loops[1].bound.fallbacks[0].value, 2048);
    assert_eq!(
        f.close_loops[1].bound.kind,
        limit(LimitSource::GetrlimitHard)
    );
}

#[test]
fn or_assign_follows_unknown_first_value() {
    let src = "def a(o)\n  max = o[:max]\n  max ||= Process.getrlimit(:NOFILE)[1]\n  (3..max).each { |fd| IO.for_fd(fd).close }\nend\n";
    assert_eq!(one_loop(src).bound.kind, limit(LimitSource::GetrlimitHard));
}

#[test]
fn min_caps_and_max_keeps_limit() {
    let src = "max = [Process.getrlimit(:NOFILE).last, 4096].min\n3.upto(max) { |fd| IO.for_fd(fd).close }\n";
    let c = one_loop(src);
    assert_eq!(c.bound.cap, Some(4096));
    assert!(c.bound.fallbacks.is_empty());
    let src = "def m\n  max = Process.getrlimit(:NOFILE)[0]\n  max = [max, 4096].min\n  3.upto(max) { |fd| IO.for_fd(fd).close }\nend\n";
    let c = one_loop(src);
    assert_eq!(c.bound.cap, Some(4096));
    assert_eq!(c.bound.kind, limit(LimitSource::GetrlimitSoft));
    let src = "max = [Process.getrlimit(:NOFILE)[0], 1024].max\n3.upto(max) { |fd| IO.for_fd(fd).close }\n";
    let c = one_loop(src);
    assert_eq!(c.bound.cap, None);
    assert_eq!(c.bound.kind, limit(LimitSource::GetrlimitSoft));
}

#[test]
fn helper_method_bound() {
    let src = "class S\n  def max_fd\n    return 256 if $dumb\n    Process.getrlimit(:NOFILE).last\n  end\n  def sweep\n    (3..self.max_fd).each { |fd| IO.for_fd(fd).close rescue nil }\n    3.upto(max_fd) { |fd| IO.for_fd(fd).close rescue nil }\n  end\nend\n";
    let f = facts(src);
    assert_eq!(f.close_loops.len(), 2);
    for c in &f.close_loops {
        assert_eq!(c.bound.kind, limit(LimitSource::GetrlimitHard));
        assert_eq!(c.bound.via.as_deref(), Some("max_fd"));
        assert_eq!(c.bound.fallbacks[0].value, 256);
    }
    // Regression: the `return` keyword was read as a `return` with no value, so a helper
    // whose every path returns a literal was unresolved.
    let src = "def max_fd\n  return 256 if $dumb\n  65536\nend\n3.upto(max_fd) { |fd| IO.for_fd(fd).close rescue nil }\n";
    let c = one_loop(src);
    assert!(
        matches!(&c.bound.kind, BoundKind::Guess { value: 65536, .. }),
        "{:?}",
        c.bound
    );
}

#[test]
fn endless_and_rescue_methods() {
    let src = "def self.lim = Process.getrlimit(:NOFILE)[1]\ndef lim2\n  Process.getrlimit(:NOFILE)[0]\nrescue\n  1024\nend\n3.upto(lim) { |fd| IO.for_fd(fd).close }\n3.upto(lim2) { |fd| IO.for_fd(fd).close }\n";
    let f = facts(src);
    assert_eq!(f.close_loops.len(), 2);
    assert_eq!(
        f.close_loops[0].bound.kind,
        limit(LimitSource::GetrlimitHard)
    );
    assert_eq!(
        f.close_loops[1].bound.kind,
        limit(LimitSource::GetrlimitSoft)
    );
    assert_eq!(f.close_loops[1].bound.fallbacks[0].value, 1024);
}

#[test]
fn guesses() {
    let src = "MAXFD = 1024\n3.upto(8192) { |fd| IO.for_fd(fd).close }\n(3...MAXFD).each { |fd| IO.for_fd(fd).close }\ndef x\n  n = 300\n  n = 512 if $big\n  3.upto(n) { |fd| IO.for_fd(fd).close }\nend\n3.upto(10) { |fd| IO.for_fd(fd).close }\n";
    let f = facts(src);
    let kinds: Vec<_> = f.close_loops.iter().map(|c| c.bound.kind.clone()).collect();
    assert_eq!(
        kinds,
        vec![
            BoundKind::Guess {
                value: 8192,
                name: None
            },
            BoundKind::Guess {
                value: 1024,
                name: Some("MAXFD".into())
            },
            BoundKind::Guess {
                value: 512,
                name: Some("n".into())
            },
            BoundKind::Guess {
                value: 10,
                name: None
            },
        ]
    );
    assert_eq!(at(src, f.close_loops[0].bound.origin), "8192");
    assert_eq!(f.close_loops[0].bound.via, None);
}

#[test]
fn guess_mixed_with_unknown_is_no_fact() {
    let src = "def x(a)\n  n = 300\n  n = a if a\n  3.upto(n) { |fd| IO.for_fd(fd).close }\nend\n";
    assert!(facts(src).close_loops.is_empty());
}

#[test]
fn downto_step_and_upto_each() {
    let src = "h = Process.getrlimit(:NOFILE)[1]\nh.downto(3) { |fd| IO.for_fd(fd).close }\n3.step(h, 1) { |fd| IO.for_fd(fd).close }\n3.upto(h).each { |fd| IO.for_fd(fd).close }\n3.step(h, 2) { |fd| IO.for_fd(fd).close }\n";
    let f = facts(src);
    let spans: Vec<_> = f.close_loops.iter().map(|c| at(src, c.span)).collect();
    assert_eq!(spans, vec!["h.downto(3)", "3.step(h, 1)", "3.upto(h).each"]);
    assert!(f.close_loops.iter().all(|c| c.lower == Some(3)));
}

#[test]
fn probe_and_local_io() {
    let src = "M = Process.getrlimit(:NOFILE)[1]\n3.upto(M) { |fd| IO.for_fd(fd, autoclose: false).stat rescue nil }\n3.upto(M) do |fd|\n  io = IO.for_fd(fd) rescue next\n  io.close\nend\n3.upto(M) { |fd| IO.for_fd(fd) rescue nil }\n";
    let f = facts(src);
    let acts: Vec<_> = f
        .close_loops
        .iter()
        .map(|c| (c.action, at(src, c.action_span)))
        .collect();
    assert_eq!(
        acts,
        vec![
            (FdAction::Probe, "IO.for_fd(fd, autoclose: false).stat"),
            (FdAction::Close, "io.close"),
            (FdAction::Wrap, "IO.for_fd(fd)"),
        ]
    );
}

#[test]
fn fd_ranges() {
    let src = "max = Process.getrlimit(:NOFILE)[1]\na = (3..max).to_a\nb = Array(3...max)\nc = [*0..max]\nd = (0..10).to_a\ne = [*1..Process.getrlimit(:CORE)[1]]\n";
    let f = facts(src);
    let got: Vec<_> = f
        .fd_ranges
        .iter()
        .map(|r| (at(src, r.span), r.lower, r.bound.kind.clone()))
        .collect();
    let hard = limit(LimitSource::GetrlimitHard);
    assert_eq!(
        got,
        vec![
            ("(3..max).to_a", Some(3), hard.clone()),
            ("Array(3...max)", Some(3), hard.clone()),
            ("[*0..max]", Some(0), hard),
        ]
    );
    let src = "MAXFD = 1024\na = (0...MAXFD).to_a\nb = (0x2000..0x200A).to_a\nc = (3..4096).to_a.each { |fd| IO.for_fd(fd).close }\nd = [*0..N]\nN = 512\n";
    let got: Vec<_> = facts(src)
        .fd_ranges
        .iter()
        .map(|r| at(src, r.span).to_string())
        .collect();
    assert_eq!(got, vec!["(0...MAXFD).to_a", "(3..4096).to_a"]);
    assert!(
        f.fd_ranges
            .iter()
            .all(|r| r.container == Container::RubyArray)
    );
}

#[test]
fn fd_names() {
    for n in [
        "MAXFD", "MAX_FD", "max_fd", "maxfd", "OPEN_MAX", "fd_limit", "nofile",
    ] {
        assert!(names_fds(n), "{n}");
    }
    for n in ["N", "MAX", "SIZE", "buffer", "offset", "default"] {
        assert!(!names_fds(n), "{n}");
    }
}

#[test]
fn negatives_have_no_facts() {
    for src in [
        "Dir.children('/proc/self/fd').each { |f| IO.for_fd(f.to_i).close rescue nil }",
        "fds.each { |fd| IO.for_fd(fd).close rescue nil }",
        "ObjectSpace.each_object(IO) { |io| io.close }",
        "m = Process.getrlimit(:NOFILE)[1]\n3.upto(m) { |i| IO.for_fd(3).close }",
        "m = Process.getrlimit(:NOFILE)[1]\n3.upto(m) { |fd| io.close }",
        "m = Process.getrlimit(:NOFILE)[1]\n3.upto(m) { |fd| puts fd }",
        "m = Process.getrlimit(:CORE)[1]\n3.upto(m) { |fd| IO.for_fd(fd).close }",
        "m = Process.getrlimit(:NOFILE)\nProcess.setrlimit(:NOFILE, m[1])",
        "s = \"3.upto(Process.getrlimit(:NOFILE)[1]) { |fd| IO.for_fd(fd).close }\"",
        "# 3.upto(Process.getrlimit(:NOFILE)[1]) { |fd| IO.for_fd(fd).close }",
        "def close_range(r)\n  r.each { |x| x.close }\nend",
        "3.upto(n) { |fd| IO.for_fd(fd).close }",
        "m = ENV['M'].to_i\n3.upto(m) { |fd| IO.for_fd(fd).close }",
        "x = x + 1\n3.upto(x) { |fd| IO.for_fd(fd).close }",
        "def a = b\ndef b = a\n3.upto(a) { |fd| IO.for_fd(fd).close }",
        "m = Process.getrlimit(:NOFILE)[1]\nfd = 3\nwhile fd < m\n  IO.for_fd(fd).close\nend",
    ] {
        let f = facts(src);
        assert!(
            f.close_loops.is_empty() && f.fd_ranges.is_empty(),
            "{src}: {f:#?}"
        );
    }
}

#[test]
fn parameters_shadow_helper_methods() {
    let src = "def max\n  Process.getrlimit(:NOFILE)[1]\nend\ndef a(max)\n  3.upto(max) { |fd| IO.for_fd(fd).close }\nend\ndef b\n  [1].each { |max| 3.upto(max) { |fd| IO.for_fd(fd).close } }\nend\n3.upto(max) { |fd| IO.for_fd(fd).close }\n";
    let f = facts(src);
    assert_eq!(f.close_loops.len(), 1, "{f:#?}");
    assert_eq!(f.close_loops[0].bound.via.as_deref(), Some("max"));
}

#[test]
fn locals_do_not_leak_between_methods() {
    let src = "def a\n  lim = Process.getrlimit(:NOFILE)[1]\nend\ndef b\n  3.upto(lim) { |fd| IO.for_fd(fd).close }\nend\n";
    assert!(facts(src).close_loops.is_empty());
}

#[test]
fn deep_nesting_does_not_overflow() {
    let depth = 20_000;
    let mut src = String::from("x = ");
    src.push_str(&"[".repeat(depth));
    src.push_str(&"]".repeat(depth));
    src.push_str("\nm = Process.getrlimit(:NOFILE)[1]\n3.upto(m) { |fd| IO.for_fd(fd).close }\n");
    let f = facts(&src);
    assert_eq!(f.close_loops.len(), 1);
    let mut src = String::from("m = ");
    src.push_str(&"(".repeat(depth));
    src.push_str("Process.getrlimit(:NOFILE)[1]");
    src.push_str(&")".repeat(depth));
    src.push_str("\n3.upto(m) { |fd| IO.for_fd(fd).close }\n");
    let _ = facts(&src);
}

#[test]
fn broken_input_reports_syntax_errors() {
    let src = "def a\n  m = Process.getrlimit(:NOFILE)[1]\n  3.upto(m) { |fd| IO.for_fd(fd).close }\nend\ndef b(\n  [1, 2\n";
    let f = facts(src);
    assert!(!f.syntax_errors.is_empty());
    let _ = facts("\u{0}\u{ffff}(((( 3.upto( { |");
}

#[test]
fn query_style() {
    for (name, src) in QUERY_FILES {
        for (i, line) in src.lines().enumerate() {
            let t = line.trim_start();
            let indent = line.len() - t.len();
            assert!(indent % 2 == 0, "{name}:{}: odd indent", i + 1);
            assert!(!line.contains('\t'), "{name}:{}: tab", i + 1);
            for p in ["#not-", "#set!", "#is?", "#is-not?", "#select-adjacent!"] {
                assert!(!t.contains(p), "{name}:{}: predicate {p}", i + 1);
            }
        }
    }
}
