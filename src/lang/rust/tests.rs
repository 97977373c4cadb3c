use super::*;
use crate::facts::{Bound, BoundKind, CloseLoop, FdAction, LimitSource};

fn facts(src: &str) -> Facts {
    extract(src, &FrontendOptions::default()).expect("frontend result")
}

fn t(src: &str, s: Span) -> &str {
    &src[s.start..s.end]
}

fn one_loop(src: &str) -> CloseLoop {
    let f = facts(src);
    assert!(f.syntax_errors.is_empty(), "{:?}", f.syntax_errors);
    assert_eq!(f.close_loops.len(), 1, "{:#?}", f.close_loops);
    f.close_loops[0].clone()
}

fn limit(b: &Bound) -> LimitSource {
    match b.kind {
        BoundKind::Limit { source } => source,
        ref k => panic!("not a limit: {k:?}"),
    }
}

fn fallbacks(b: &Bound) -> Vec<u64> {
    b.fallbacks.iter().map(|f| f.value).collect()
}

fn silent(src: &str) {
    let f = facts(src);
    assert!(f.syntax_errors.is_empty(), "{:?}", f.syntax_errors);
    assert!(f.close_loops.is_empty(), "{:#?}", f.close_loops);
    assert!(f.fd_ranges.is_empty(), "{:#?}", f.fd_ranges);
}

#[test]
fn for_range_sysconf_direct() {
    let src = "fn f() {\n    for fd in 3..libc::sysconf(libc::_SC_OPEN_MAX) as i32 {\n        unsafe { libc::close(fd) };\n    }\n}\n";
    let l = one_loop(src);
    assert_eq!(
        t(src, l.span),
        "for fd in 3..libc::sysconf(libc::_SC_OPEN_MAX) as i32"
    );
    assert_eq!(t(src, l.action_span), "libc::close(fd)");
    assert_eq!(l.action, FdAction::Close);
    assert_eq!(l.lower, Some(3));
    assert_eq!(limit(&l.bound), LimitSource::Sysconf);
    assert_eq!(t(src, l.bound.origin), "libc::sysconf(libc::_SC_OPEN_MAX)");
    assert_eq!(l.bound.via, None);
}

#[test]
fn for_range_via_local_with_infinity_fallback() {
    let src = r#"
fn close_all() {
    let mut rlim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut rlim) };
    let n = rlim.rlim_max;
    let max = if n == libc::RLIM_INFINITY { 65536 } else { n as i32 };
    for fd in (3..=max).rev() {
        let _ = unsafe { libc::close(fd as libc::c_int) };
    }
}
"#;
    let l = one_loop(src);
    assert_eq!(t(src, l.span), "for fd in (3..=max).rev()");
    assert_eq!(limit(&l.bound), LimitSource::GetrlimitHard);
    assert_eq!(
        t(src, l.bound.origin),
        "libc::getrlimit(libc::RLIMIT_NOFILE, &mut rlim)"
    );
    assert_eq!(l.bound.via.as_deref(), Some("max"));
    assert_eq!(fallbacks(&l.bound), vec![65536]);
    assert_eq!(t(src, l.bound.fallbacks[0].span), "65536");
    assert_eq!(t(src, l.action_span), "libc::close(fd as libc::c_int)");
}

#[test]
fn maybe_uninit_rlimit_soft() {
    let src = r#"
fn f() {
    let mut rlim = std::mem::MaybeUninit::<libc::rlimit>::uninit();
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, rlim.as_mut_ptr()) } != 0 { return; }
    let rlim = unsafe { rlim.assume_init() };
    for fd in 3..rlim.rlim_cur as i32 { unsafe { libc::close(fd); } }
}
"#;
    let l = one_loop(src);
    assert_eq!(limit(&l.bound), LimitSource::GetrlimitSoft);
    assert_eq!(l.bound.via, None);
}

#[test]
fn getrlimit_other_resource_is_not_a_limit() {
    silent(
        r#"
fn f() {
    let mut rlim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    unsafe { libc::getrlimit(libc::RLIMIT_NPROC, &mut rlim) };
    for fd in 3..rlim.rlim_cur as i32 { unsafe { libc::close(fd); } }
}
"#,
    );
}

#[test]
fn helper_fn_and_self_method() {
    let src = r#"
fn max_fd() -> i32 {
    unsafe { libc::sysconf(libc::_SC_OPEN_MAX) as i32 }
}
struct S;
impl S {
    fn limit() -> i32 { let n = unsafe { libc::getdtablesize() }; if n < 0 { return 1024; } n }
    fn run(&self) {
        for fd in 3..max_fd() { unsafe { libc::close(fd); } }
        (3..Self::limit()).for_each(|fd| unsafe { libc::close(fd); });
    }
}
"#;
    let f = facts(src);
    assert_eq!(f.close_loops.len(), 2, "{:#?}", f.close_loops);
    let a = &f.close_loops[0];
    assert_eq!(limit(&a.bound), LimitSource::Sysconf);
    assert_eq!(a.bound.via.as_deref(), Some("max_fd"));
    let b = &f.close_loops[1];
    assert_eq!(t(src, b.span), "(3..Self::limit()).for_each");
    assert_eq!(limit(&b.bound), LimitSource::Getdtablesize);
    assert_eq!(b.bound.via.as_deref(), Some("limit"));
    assert_eq!(fallbacks(&b.bound), vec![1024]);
}

#[test]
fn nix_getrlimit_tuple_shapes() {
    let src = r#"
use nix::sys::resource::{getrlimit, Resource};
use nix::unistd::close;
fn a() -> nix::Result<()> {
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE)?;
    for fd in 3..hard as i32 { let _ = close(fd); }
    for fd in 3..soft { let _ = nix::unistd::close(fd as i32); }
    let max = getrlimit(Resource::RLIMIT_NOFILE).unwrap().1;
    for fd in 3..max { let _ = unistd::close(fd.try_into().unwrap()); }
    Ok(())
}
"#;
    let f = facts(src);
    let srcs: Vec<_> = f.close_loops.iter().map(|l| limit(&l.bound)).collect();
    assert_eq!(
        srcs,
        vec![
            LimitSource::GetrlimitHard,
            LimitSource::GetrlimitSoft,
            LimitSource::GetrlimitHard
        ]
    );
    assert_eq!(
        t(src, f.close_loops[0].bound.origin),
        "getrlimit(Resource::RLIMIT_NOFILE)"
    );
    assert_eq!(f.close_loops[0].bound.via.as_deref(), Some("hard"));
}

#[test]
fn rustix_rlimit_with_fallback_and_cap() {
    let src = r#"
fn f() {
    let lim = rustix::process::getrlimit(rustix::process::Resource::Nofile);
    let max = lim.current.unwrap_or(1024).min(4096) as i32;
    for fd in 3..max { let _ = rustix::io::close(fd); }
}
"#;
    let l = one_loop(src);
    assert_eq!(limit(&l.bound), LimitSource::GetrlimitSoft);
    assert_eq!(fallbacks(&l.bound), vec![1024]);
    assert_eq!(l.bound.cap, Some(4096));
    assert_eq!(
        t(src, l.bound.origin),
        "rustix::process::getrlimit(rustix::process::Resource::Nofile)"
    );
}

#[test]
fn rustix_struct_pattern() {
    let src = r#"
fn f() {
    let Rlimit { current, maximum } = getrlimit(Resource::Nofile);
    let max = std::cmp::min(maximum.unwrap_or(1 << 20), 65536);
    for fd in 3..max as i32 { unsafe { libc::close(fd) }; }
}
"#;
    let l = one_loop(src);
    assert_eq!(limit(&l.bound), LimitSource::GetrlimitHard);
    assert_eq!(fallbacks(&l.bound), vec![1 << 20]);
    assert_eq!(l.bound.cap, Some(65536));
}

#[test]
fn nix_sysconf_shapes() {
    let src = r#"
use nix::unistd::{sysconf, SysconfVar};
fn a() {
    let max = match sysconf(SysconfVar::OPEN_MAX) { Ok(Some(n)) => n as i32, _ => 1024 };
    for fd in 3..max { let _ = nix::unistd::close(fd); }
}
fn b() {
    let max = sysconf(SysconfVar::OPEN_MAX).ok().flatten().unwrap_or(1024);
    for fd in 3..max as i32 { let _ = nix::unistd::close(fd); }
}
fn c() {
    let max = sysconf(SysconfVar::OPEN_MAX).unwrap().unwrap();
    for fd in 3..max as i32 { let _ = nix::unistd::close(fd); }
}
fn d() {
    if let Ok(Some(n)) = sysconf(SysconfVar::CHILD_MAX) {
        for fd in 3..n as i32 { let _ = nix::unistd::close(fd); }
    }
}
"#;
    let f = facts(src);
    assert_eq!(f.close_loops.len(), 3, "{:#?}", f.close_loops);
    for l in &f.close_loops {
        assert_eq!(limit(&l.bound), LimitSource::Sysconf);
        assert_eq!(t(src, l.bound.origin), "sysconf(SysconfVar::OPEN_MAX)");
    }
    assert_eq!(fallbacks(&f.close_loops[0].bound), vec![1024]);
    assert_eq!(fallbacks(&f.close_loops[1].bound), vec![1024]);
    assert!(f.close_loops[2].bound.fallbacks.is_empty());
}

#[test]
fn reassignment_and_guess_names() {
    let src = r#"
const MAXFD: i32 = 1024;
fn a() {
    let mut max = 256;
    if let Ok(n) = nix::unistd::sysconf(SysconfVar::OPEN_MAX) { max = n.unwrap() as i32; }
    for fd in 3..max { unsafe { libc::close(fd); } }
}
fn b() {
    for fd in 3..MAXFD { unsafe { libc::close(fd); } }
    for fd in 0..1024 { unsafe { libc::close(fd); } }
    let n = 4096;
    for fd in 3..n { unsafe { libc::close(fd); } }
}
"#;
    let f = facts(src);
    assert_eq!(f.close_loops.len(), 4, "{:#?}", f.close_loops);
    assert_eq!(limit(&f.close_loops[0].bound), LimitSource::Sysconf);
    assert_eq!(fallbacks(&f.close_loops[0].bound), vec![256]);
    let kinds: Vec<_> = f.close_loops[1..]
        .iter()
        .map(|l| l.bound.kind.clone())
        .collect();
    assert_eq!(
        kinds,
        vec![
            BoundKind::Guess {
                value: 1024,
                name: Some("MAXFD".into())
            },
            BoundKind::Guess {
                value: 1024,
                name: None
            },
            BoundKind::Guess {
                value: 4096,
                name: Some("n".into())
            },
        ]
    );
    assert_eq!(f.close_loops[1].bound.via.as_deref(), Some("MAXFD"));
    assert_eq!(t(src, f.close_loops[1].bound.origin), "1024");
    assert_eq!(f.close_loops[2].bound.via, None);
    assert_eq!(f.close_loops[2].lower, Some(0));
}

#[test]
fn actions() {
    let src = r#"
fn f() {
    let max = unsafe { libc::sysconf(libc::_SC_OPEN_MAX) } as i32;
    for fd in 3..max { unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC); } }
    for fd in 3..max { let _ = fcntl(fd, FcntlArg::F_SETFD(FdFlag::FD_CLOEXEC)); }
    for fd in 3..max { unsafe { libc::fcntl(fd, libc::F_SETFL, 0); } }
    for fd in 3..max { unsafe { if libc::fcntl(fd, libc::F_GETFD) != -1 { libc::close(fd); } } }
    for fd in 3..max { let mut st = std::mem::zeroed(); unsafe { libc::fstat(fd, &mut st) }; }
    for fd in 3..max { drop(unsafe { std::fs::File::from_raw_fd(fd) }); }
    for fd in 3..max { drop(unsafe { OwnedFd::from_raw_fd(fd) }); }
    for fd in (3..max).filter(|fd| *fd != keep) { let _ = unsafe { UnixStream::from_raw_fd(fd) }; }
}
"#;
    let f = facts(src);
    let acts: Vec<_> = f.close_loops.iter().map(|l| l.action).collect();
    use FdAction::*;
    assert_eq!(
        acts,
        vec![SetCloexec, SetCloexec, Close, Probe, Wrap, Wrap, Wrap]
    );
    assert_eq!(t(src, f.close_loops[2].action_span), "libc::close(fd)");
    assert_eq!(
        t(src, f.close_loops[6].span),
        "for fd in (3..max).filter(|fd| *fd != keep)"
    );
}

#[test]
fn for_each_chain_and_pre_exec_closure() {
    let src = r#"
fn spawn(cmd: &mut Command) {
    let max = unsafe { libc::sysconf(libc::_SC_OPEN_MAX) } as i32;
    unsafe {
        cmd.pre_exec(move || {
            (3..max)
                .filter(|fd| *fd != 5)
                .rev()
                .for_each(|fd| {
                    libc::close(fd);
                });
            Ok(())
        });
    }
}
"#;
    let l = one_loop(src);
    assert_eq!(
        t(src, l.span),
        "(3..max)\n                .filter(|fd| *fd != 5)\n                .rev()\n                .for_each"
    );
    assert_eq!(limit(&l.bound), LimitSource::Sysconf);
    assert_eq!(l.bound.via.as_deref(), Some("max"));
}

#[test]
fn while_loop() {
    let src = r#"
fn f() {
    let max = unsafe { libc::getdtablesize() };
    let mut fd = 3;
    while fd < max {
        unsafe { libc::close(fd) };
        fd += 1;
    }
}
"#;
    let l = one_loop(src);
    assert_eq!(t(src, l.span), "while fd < max");
    assert_eq!(l.lower, Some(3));
    assert_eq!(limit(&l.bound), LimitSource::Getdtablesize);
}

#[test]
fn fd_ranges() {
    let src = r#"
fn f() {
    let max = unsafe { libc::sysconf(libc::_SC_OPEN_MAX) } as i32;
    let a = (3..max).collect::<Vec<_>>();
    let b: Vec<i32> = (0..max).collect();
    let c = Vec::from_iter(3..max);
    let d: Vec<i32> = (0..n).collect();
    let e = (0..max).collect::<HashSet<_>>();
    let g = (0..1024).collect::<Vec<_>>();
    let h: Vec<i32> = (3..MAX_FDS).collect();
}
const MAX_FDS: i32 = 4096;
"#;
    let f = facts(src);
    let spans: Vec<_> = f.fd_ranges.iter().map(|r| t(src, r.span)).collect();
    assert_eq!(
        spans,
        vec![
            "(3..max).collect::<Vec<_>>()",
            "(0..max).collect()",
            "Vec::from_iter(3..max)",
            "(3..MAX_FDS).collect()"
        ]
    );
    assert_eq!(f.fd_ranges[1].lower, Some(0));
    assert!(f.close_loops.is_empty());
}

#[test]
fn negatives() {
    silent(
        r#"
fn a() -> std::io::Result<()> {
    for entry in std::fs::read_dir("/proc/self/fd")? {
        let fd: i32 = entry?.file_name().to_str().unwrap().parse().unwrap();
        if fd > 2 { unsafe { libc::close(fd) }; }
    }
    Ok(())
}
fn b(pipes: Vec<i32>) {
    for fd in pipes { unsafe { libc::close(fd) }; }
    for i in 0..pipes.len() { unsafe { libc::close(pipes[i]) }; }
}
fn c() {
    let max = unsafe { libc::sysconf(libc::_SC_OPEN_MAX) } as i32;
    for i in 3..max { unsafe { libc::close(7) }; }
    for _ in 3..max { unsafe { libc::close(3) }; }
    unsafe { libc::close_range(3, !0, 0) };
    unsafe { libc::syscall(libc::SYS_close_range, 3, !0u32, 0) };
    for fd in 3..max { println!("{}", libc::close(fd)); }
    for fd in 3..max { log(fd); }
}
fn d(limit: i32) {
    let mut rlim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut rlim) };
    rlim.rlim_cur = rlim.rlim_max;
    unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &rlim) };
    for fd in 3..limit { unsafe { libc::close(fd) }; }
    let s = "for fd in 3..libc::sysconf(libc::_SC_OPEN_MAX) { libc::close(fd) }";
    // for fd in 3..max { libc::close(fd); }
}
fn close_range(first: u32, last: u32) { for i in first..last { mark(i); } }
macro_rules! sweep { () => { for fd in 3..MAX { libc::close(fd); } } }
"#,
    );
}

#[test]
fn small_literal_is_still_a_fact() {
    let l = one_loop("fn f() { for fd in 3..10 { unsafe { libc::close(fd) }; } }");
    assert_eq!(
        l.bound.kind,
        BoundKind::Guess {
            value: 10,
            name: None
        }
    );
}

#[test]
fn syntax_error_is_reported() {
    let src = "fn f() { for fd in 3..max { libc::close(fd) }\n";
    let f = facts(src);
    assert_eq!(f.syntax_errors.len(), 1);
    assert!(f.close_loops.is_empty());
    let f = facts("fn f( { ]");
    assert_eq!(f.syntax_errors.len(), 1);
    let f = facts("let s = \"unterminated");
    assert_eq!(f.syntax_errors.len(), 1);
}

#[test]
fn too_deep_is_refused() {
    let src = format!(
        "fn f() {{ let x = {}1{}; }}",
        "(".repeat(100_000),
        ")".repeat(100_000)
    );
    assert_eq!(
        extract(&src, &FrontendOptions::default()),
        Err(FrontendError::TooDeep(MAX_NESTING))
    );
    let src = format!("fn f() {{ let x = {}1; }}", "- ".repeat(100_000));
    assert!(matches!(
        extract(&src, &FrontendOptions::default()),
        Err(FrontendError::TooDeep(_))
    ));
    let src = "(".repeat(100_000);
    assert!(extract(&src, &FrontendOptions::default()).is_err());
}

#[test]
fn deep_but_allowed_nesting_is_analysed() {
    let n = 200;
    let inner =
        "for fd in 3..libc::sysconf(libc::_SC_OPEN_MAX) as i32 { unsafe { libc::close(fd) }; }";
    let src = format!("fn f() {{ {}{inner}{} }}", "{ ".repeat(n), " }".repeat(n));
    let l = one_loop(&src);
    assert_eq!(limit(&l.bound), LimitSource::Sysconf);
    assert_eq!(
        t(&src, l.span),
        "for fd in 3..libc::sysconf(libc::_SC_OPEN_MAX) as i32"
    );
    let src = format!(
        "fn f() {{ let x = {}1{}; }}",
        "(".repeat(250),
        ")".repeat(250)
    );
    assert!(facts(&src).syntax_errors.is_empty());
    let src = format!("fn f() {{ let x = 1{}; }}", " + 1".repeat(800));
    assert!(facts(&src).syntax_errors.is_empty());
    let src = format!("fn f() {{ let x = {}1; }}", "- ".repeat(800));
    assert!(facts(&src).syntax_errors.is_empty());
}

#[test]
fn spans_stay_right_across_files_on_one_thread() {
    let a = "fn a() { for fd in 3..getdtablesize() { close(fd); } }\n";
    let b = "\n\n\n// padding\nfn b() {\n    let m = unsafe { libc::getdtablesize() };\n    for fd in 0..m { unsafe { libc::close(fd) }; }\n}\n";
    for _ in 0..3 {
        for src in [
            a,
            b,
            "fn broken( {",
            "fn é() { let s = \"ünïcödé\"; }",
            a,
            b,
        ] {
            let f = facts(src);
            let want = usize::from(src == a || src == b);
            assert_eq!(f.close_loops.len(), want, "{src}");
            for l in &f.close_loops {
                assert!(
                    t(src, l.span).starts_with("for fd in "),
                    "{}",
                    t(src, l.span)
                );
                assert!(t(src, l.action_span).contains("close(fd)"));
            }
        }
    }
    // Non-ASCII text before the loop: spans are byte offsets.
    let c = "// ünïcödé — ✓\nfn c() { let s = \"日本\"; for fd in 3..libc::getdtablesize() { libc::close(fd); } }\n";
    let l = one_loop(c);
    assert_eq!(t(c, l.span), "for fd in 3..libc::getdtablesize()");
    assert_eq!(t(c, l.bound.origin), "libc::getdtablesize()");
}

#[test]
fn shebang_and_bom() {
    let body = "fn c() { for fd in 3..libc::getdtablesize() { libc::close(fd); } }\n";
    for prefix in [
        "#!/usr/bin/env run-cargo-script\n",
        "\u{feff}",
        "\u{feff}#!/x\n",
    ] {
        let src = format!("{prefix}{body}");
        let l = one_loop(&src);
        assert_eq!(t(&src, l.span), "for fd in 3..libc::getdtablesize()");
    }
    // An inner attribute is not a shebang.
    let src = format!("#![allow(unused)]\n{body}");
    let l = one_loop(&src);
    assert_eq!(t(&src, l.span), "for fd in 3..libc::getdtablesize()");
}

#[test]
fn command_spawns_name_their_script() {
    let src = r#"
use std::process::Command;
fn start() {
    let out = Command::new("python2").arg("helpers/highlight.py").arg("--fast").output();
    let mut cmd = Command::new("/usr/bin/env");
    cmd.args(["python3", "tools/sweep.py"]);
    cmd.spawn().unwrap();
    Command::new("ls").arg("-l").status().unwrap();
}
"#;
    let f = extract(src, &FrontendOptions::default()).unwrap();
    assert_eq!(f.spawns.len(), 2, "{:#?}", f.spawns);
    assert_eq!(f.spawns[0].interpreter.as_deref(), Some("python2"));
    assert_eq!(
        f.spawns[0].script.as_ref().unwrap().path,
        "helpers/highlight.py"
    );
    assert_eq!(f.spawns[1].interpreter.as_deref(), Some("python3"));
    assert_eq!(f.spawns[1].script.as_ref().unwrap().path, "tools/sweep.py");
}

/// The loops the close_range(2) fix may rewrite: a `for` over `lo..hi` / `lo..=hi` whose body
/// only calls `libc::close` on the loop variable, its result ignored.
#[test]
fn plain_close_loops_are_the_rewritable_ones() {
    let src = "fn f() {\n    let max = unsafe { libc::sysconf(libc::_SC_OPEN_MAX) } as i32;\n    for fd in 3..max {\n        unsafe { libc::close(fd) };\n    }\n    for fd in 3..=max { let _ = unsafe { libc::close(fd) }; }\n}\n";
    let f = facts(src);
    assert_eq!(f.close_loops.len(), 2);
    assert_eq!(f.plain_close_loops.len(), 2, "{:#?}", f.plain_close_loops);
    let p = &f.plain_close_loops[0];
    assert_eq!(p.header, f.close_loops[0].span);
    assert_eq!(
        (t(src, p.var), t(src, p.lower), t(src, p.upper)),
        ("fd", "3", "max")
    );
    assert!(!p.inclusive && f.plain_close_loops[1].inclusive);
    assert!(t(src, p.statement).starts_with("for fd in 3..max {"));
    assert!(t(src, p.statement).ends_with("}"));
    assert!(t(src, p.body).starts_with('{') && t(src, p.body).ends_with('}'));
    // Look-alikes: more in the body, another close, a label, an adapter, the result used.
    for body in [
        "for fd in 3..max { unsafe { libc::close(fd) }; println!(\"{fd}\"); }",
        "for fd in 3..max { let _ = nix::unistd::close(fd); }",
        "'outer: for fd in 3..max { unsafe { libc::close(fd) }; }",
        "for fd in (3..max).rev() { unsafe { libc::close(fd) }; }",
        "for fd in 3..max { if unsafe { libc::close(fd) } != 0 { eprintln!(\"x\"); } }",
    ] {
        let src = format!(
            "fn f() {{\n    let max = unsafe {{ libc::sysconf(libc::_SC_OPEN_MAX) }} as i32;\n    {body}\n}}\n"
        );
        let f = facts(&src);
        assert_eq!(f.close_loops.len(), 1, "{body}");
        assert!(
            f.plain_close_loops.is_empty(),
            "{body}: {:#?}",
            f.plain_close_loops
        );
    }
}

#[test]
fn items_split_at_top_level_ends_outside_strings_and_comments() {
    let src = "use a::b;\n// } ;\nfn f() { let s = \"}\"; g('}'); }\n#[attr]\nstruct S { x: u8 }\nconst N: usize = { 3 };\n";
    let items: Vec<&str> = super::scan::items(src)
        .into_iter()
        .map(|r| src[r].trim())
        .filter(|s| !s.is_empty())
        .collect();
    assert_eq!(
        items,
        [
            "use a::b;",
            "// } ;\nfn f() { let s = \"}\"; g('}'); }",
            "#[attr]\nstruct S { x: u8 }",
            "const N: usize = { 3 }",
            ";"
        ]
    );
}

#[test]
fn a_deep_item_is_left_out_and_the_others_still_see_its_neighbours() {
    let deep = format!(
        "fn deep() {{ let _ = {}0{}; }}\n",
        "(".repeat(300),
        ")".repeat(300)
    );
    let src = format!(
        "const MAXFD: i32 = 4096;\n{deep}fn sweep() {{\n    for fd in 3..MAXFD {{\n        unsafe {{ libc::close(fd) }};\n    }}\n}}\n"
    );
    let f = extract(&src, &FrontendOptions::default()).unwrap();
    assert_eq!(f.close_loops.len(), 1, "{f:?}");
    let (span, limit) = f.too_deep.expect("the deep item is named");
    assert_eq!(limit, MAX_NESTING);
    assert!(src[span.start..span.end].contains("fn deep()"));
    // One deep item and nothing else is refused as before.
    assert_eq!(
        extract(&deep, &FrontendOptions::default()),
        Err(FrontendError::TooDeep(MAX_NESTING))
    );
}

#[test]
fn index_file_records_fields_helpers_and_call_arguments() {
    let src = r#"
struct S { max_fd: i32, n: i32 }
fn read() -> S {
    let mut r = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut r) };
    S { max_fd: r.rlim_cur as i32, n: 3 }
}
fn open_max() -> i32 { unsafe { libc::sysconf(libc::_SC_OPEN_MAX) as i32 } }
fn go() { child::sweep(3, open_max()); }
"#;
    use crate::index::Key;
    let keys: Vec<(Key, LimitSource)> = index_file(src)
        .into_iter()
        .map(|(k, s, _)| (k, s))
        .collect();
    assert_eq!(
        keys,
        [
            (Key::Field("max_fd".into()), LimitSource::GetrlimitSoft),
            (Key::Fn("open_max".into()), LimitSource::Sysconf),
            (
                Key::Param {
                    func: "sweep".into(),
                    index: 1
                },
                LimitSource::Sysconf
            ),
        ]
    );
}

#[test]
fn windows_only_code_is_not_judged() {
    let body = "{ let m = unsafe { libc::getdtablesize() }; for fd in 3..m { unsafe { libc::close(fd) }; } }";
    for attr in [
        "#[cfg(windows)]",
        "#[cfg(target_os = \"windows\")]",
        "#[cfg(not(unix))]",
        "#[cfg(all(windows, feature = \"x\"))]",
        "#[cfg(any(windows, target_family = \"windows\"))]",
    ] {
        silent(&format!("{attr}\nfn f() {body}\n"));
    }
    for attr in [
        "#[cfg(unix)]",
        "#[cfg(not(windows))]",
        "#[cfg(any(windows, unix))]",
        "#[cfg(feature = \"x\")]",
    ] {
        one_loop(&format!("{attr}\nfn f() {body}\n"));
    }
    silent(&format!("fn f() {{ if cfg!(windows) {body} }}\n"));
    silent(&format!("fn f() {{ if !cfg!(unix) {body} }}\n"));
    one_loop(&format!("fn f() {{ if cfg!(windows) {{}} else {body} }}\n"));
    one_loop(&format!(
        "fn f() {{ if cfg!(target_os = \"linux\") {body} }}\n"
    ));
}

#[test]
fn unresolved_names_that_read_as_the_limit() {
    let l = one_loop(
        "pub fn f(lo: i32, close_limit: i32) { for fd in lo..close_limit { unsafe { libc::close(fd) }; } }\n",
    );
    assert_eq!(
        l.bound.kind,
        BoundKind::Unresolved {
            name: "close_limit".into()
        }
    );
    let l =
        one_loop("fn f(&self) { for fd in 3..self.cfg.max_fds { unsafe { libc::close(fd) }; } }\n");
    assert_eq!(
        l.bound.kind,
        BoundKind::Unresolved {
            name: "max_fds".into()
        }
    );
    // Names that do not read as the limit, and visible values, make no fact.
    silent("pub fn f(lo: i32, hi: i32) { for fd in lo..hi { unsafe { libc::close(fd) }; } }\n");
    silent(
        "fn f(v: &[i32]) { let maxfd = v.len() as i32; for fd in 0..maxfd { unsafe { libc::close(fd) }; } }\n",
    );
    let l = one_loop(
        "fn g() { f(0, 4); }\nfn f(lo: i32, max_fd: i32) { for fd in lo..max_fd { unsafe { libc::close(fd) }; } }\n",
    );
    assert!(
        matches!(l.bound.kind, BoundKind::Guess { value: 4, .. }),
        "{:?}",
        l.bound
    );
}
