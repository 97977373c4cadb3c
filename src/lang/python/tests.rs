use super::*;
use crate::facts::BoundKind;

fn facts(src: &str) -> Facts {
    extract(src, &FrontendOptions::default()).expect("parses")
}

fn slice(src: &str, s: Span) -> &str {
    &src[s.start..s.end]
}

#[test]
fn keyword_lookups_find_what_a_full_walk_finds() {
    // Every Python fixture plus look-alikes in strings, comments and broken code.
    let mut sources: Vec<String> = ts::testing::fixture_sources("py")
        .into_iter()
        .map(|(_, src)| src)
        .collect();
    sources.push(
        "'''import os\ndef f(): pass'''\n# import sys\ndef g(x):\n    import subprocess as sp\n    async def h(): from os import popen\nclass C:\n    def m(self): import(\n".into(),
    );
    assert!(sources.len() > 10);
    let mut parser = Parser::new();
    parser.set_language(&language()).unwrap();
    for src in &sources {
        let tree = parser.parse(src, None).unwrap();
        for (kw, kinds) in [
            ("import", &["import_statement", "import_from_statement"][..]),
            ("def", &["function_definition"][..]),
        ] {
            let mut walked = Vec::new();
            ts::walk(tree.root_node(), |n| {
                if kinds.contains(&n.kind()) {
                    walked.push(n.id());
                }
                true
            });
            let looked_up: Vec<usize> = ts::keyword_parents(tree.root_node(), src, kw, kinds)
                .iter()
                .map(|n| n.id())
                .collect();
            assert_eq!(looked_up, walked, "{kw} in {src}");
        }
    }
}

#[test]
fn incident_loop_with_infinity_fallback() {
    let src = "import os, resource\n\
def close_fds():\n    maxfd = resource.getrlimit(resource.RLIMIT_NOFILE)[1]\n    if maxfd == resource.RLIM_INFINITY:\n        maxfd = 65536\n    for fd in range(3, maxfd):\n        try:\n            os.close(fd)\n        except OSError:\n            pass\n";
    let f = facts(src);
    assert_eq!(f.close_loops.len(), 1, "{f:#?}");
    let l = &f.close_loops[0];
    assert_eq!(slice(src, l.span), "for fd in range(3, maxfd)");
    assert_eq!(l.lower, Some(3));
    assert_eq!(l.action, FdAction::Close);
    assert_eq!(slice(src, l.action_span), "os.close(fd)");
    assert_eq!(
        l.bound.kind,
        BoundKind::Limit {
            source: LimitSource::GetrlimitHard
        }
    );
    assert_eq!(
        slice(src, l.bound.origin),
        "resource.getrlimit(resource.RLIMIT_NOFILE)"
    );
    assert_eq!(l.bound.via.as_deref(), Some("maxfd"));
    assert_eq!(l.bound.fallbacks.len(), 1);
    assert_eq!(l.bound.fallbacks[0].value, 65536);
    // range() in a file of unknown dialect is still reported as a potential list; the rule
    // decides by the effective Python version.
    assert_eq!(f.fd_ranges.len(), 1);
    assert_eq!(f.fd_ranges[0].container, Container::Python2Range);
}

#[test]
fn tuple_unpacking_and_min_cap() {
    let src = "from resource import getrlimit, RLIMIT_NOFILE\nimport os\nsoft, hard = getrlimit(RLIMIT_NOFILE)\nn = min(hard, 4096)\nfor fd in range(n):\n    os.close(fd)\n";
    let l = &facts(src).close_loops[0];
    assert_eq!(
        l.bound.kind,
        BoundKind::Limit {
            source: LimitSource::GetrlimitHard
        }
    );
    assert_eq!(l.bound.cap, Some(4096));
    assert_eq!(l.lower, Some(0));
}

#[test]
fn sysconf_with_try_fallback_and_helper() {
    let src = "import os\ndef get_maxfd():\n    try:\n        maxfd = os.sysconf('SC_OPEN_MAX')\n    except (AttributeError, ValueError):\n        maxfd = 256\n    return maxfd\n\ndef sweep():\n    for fd in reversed(range(3, get_maxfd())):\n        os.close(fd)\n";
    let l = &facts(src).close_loops[0];
    assert_eq!(
        l.bound.kind,
        BoundKind::Limit {
            source: LimitSource::Sysconf
        }
    );
    assert_eq!(l.bound.via.as_deref(), Some("get_maxfd()"));
    assert_eq!(l.bound.fallbacks[0].value, 256);
}

#[test]
fn python2_evidence() {
    for (src, reason) in [
        ("print 'x'\n", "print statement"),
        (
            "try:\n  pass\nexcept OSError, e:\n  pass\n",
            "`except X, e` clause",
        ),
        ("x = 0777\n", "Python 2 integer literal"),
        ("n = 10L\n", "Python 2 integer literal"),
        ("s = `n`\n", "backtick repr"),
        ("#!/usr/bin/env python2\nx = 1\n", "`python2` shebang"),
        (
            "#!/opt/jython/bin/jython\nx = 1\n",
            "`jython` shebang (Jython is Python 2.7)",
        ),
        (
            "#!/usr/bin/env pypy\nx = 1\n",
            "`pypy` shebang (PyPy's Python 2.7)",
        ),
    ] {
        // Literal evidence is only looked for when a fact needs the dialect.
        let src = &format!("{src}import subprocess\nsubprocess.call(['ls'])\n");
        let f = facts(src);
        assert_eq!(f.runtime.dialect, PythonDialect::Python2, "{src}");
        assert_eq!(f.runtime.reason.as_ref().unwrap().0, reason);
    }
    for src in [
        "print('x')\n",
        "try:\n  pass\nexcept (A, B) as e:\n  pass\n",
        "x = 0o777\n",
        "x = 00\ny = '0777 `x` 10L'\n# 0777 `y`\nz = 1.0777\n",
        "#!/usr/bin/env pypy3\nx = 1\n",
    ] {
        let src = &format!("{src}import subprocess\nsubprocess.call(['ls'])\n");
        assert_eq!(facts(src).runtime.dialect, PythonDialect::Unknown, "{src}");
    }
}

#[test]
fn negatives_produce_no_loops() {
    for src in [
        "import os\nfor fd in os.listdir('/proc/self/fd'):\n    os.close(int(fd))\n",
        "import os\ndef f(fds):\n    for fd in fds:\n        os.close(fd)\n",
        "import os, resource\nm = resource.getrlimit(resource.RLIMIT_NOFILE)[1]\nfor fd in range(3, m):\n    os.close(3)\n",
        "import os\ndef f(n):\n    for fd in range(3, n):\n        os.close(fd)\n",
        "s = 'for fd in range(3, maxfd): os.close(fd)'\n# for fd in range(3, MAXFD): os.close(fd)\n",
        "import resource\nresource.setrlimit(resource.RLIMIT_NOFILE, resource.getrlimit(resource.RLIMIT_NOFILE))\n",
    ] {
        assert!(facts(src).close_loops.is_empty(), "{src}");
    }
}

#[test]
fn while_and_map_and_comprehension() {
    let src = "import os\nMAXFD = os.sysconf('SC_OPEN_MAX')\nfd = 3\nwhile fd < MAXFD:\n    try:\n        os.close(fd)\n    except OSError:\n        pass\n    fd += 1\nlist(map(os.close, range(3, MAXFD)))\n[os.fstat(i) for i in xrange(3, MAXFD)]\n";
    let f = facts(src);
    let spans: Vec<&str> = f.close_loops.iter().map(|l| slice(src, l.span)).collect();
    assert_eq!(
        spans,
        [
            "while fd < MAXFD",
            "map(os.close, range(3, MAXFD))",
            "[os.fstat(i) for i in xrange(3, MAXFD)]"
        ]
    );
    assert_eq!(f.close_loops[0].lower, Some(3));
    assert_eq!(f.close_loops[2].action, FdAction::Probe);
}

/// A spawn call names the API it stands for when it spells it otherwise, and `os.popen` is
/// told from Python 2's `os.popen2` family by what it resolves to, not by its text.
#[test]
fn a_spawn_through_an_alias_names_its_api() {
    let src = "import os as o, subprocess as sp, os\nfrom os import popen as run_shell, popen3 as p3\nfrom subprocess import Popen\ndef go(c):\n    o.popen(c)\n    run_shell(c)\n    p3(c)\n    sp.Popen(c)\n    Popen(c)\n    os.popen(c)\n";
    let f = facts(src);
    let got: Vec<(SpawnApi, &str, Option<&str>, String)> = f
        .spawns
        .iter()
        .map(|s| (s.api, s.callee.as_str(), s.api_name.as_deref(), s.named()))
        .collect();
    let want = [
        (
            SpawnApi::PyOsPopen,
            "o.popen",
            Some("os.popen"),
            "`o.popen` (`os.popen`)",
        ),
        (
            SpawnApi::PyOsPopen,
            "run_shell",
            Some("os.popen"),
            "`run_shell` (`os.popen`)",
        ),
        (
            SpawnApi::PyLegacyPopen,
            "p3",
            Some("os.popen3"),
            "`p3` (`os.popen3`)",
        ),
        (
            SpawnApi::PySubprocess,
            "sp.Popen",
            Some("subprocess.Popen"),
            "`sp.Popen` (`subprocess.Popen`)",
        ),
        (SpawnApi::PySubprocess, "Popen", None, "`Popen`"),
        (SpawnApi::PyOsPopen, "os.popen", None, "`os.popen`"),
    ];
    let want: Vec<(SpawnApi, &str, Option<&str>, String)> = want
        .into_iter()
        .map(|(a, c, n, s)| (a, c, n, s.to_string()))
        .collect();
    assert_eq!(got, want);
}

#[test]
fn spawn_calls_and_scripts() {
    let src = "import os, subprocess\nfrom subprocess import Popen\nHERE = os.path.dirname(__file__)\nHELPER = os.path.join(HERE, 'helpers', '..', 'helpers', 'hl.py')\ndef go(kw):\n    subprocess.Popen(['/usr/bin/env', 'python2', HELPER], close_fds=False, pass_fds=(3,))\n    Popen('python3 /opt/x/run.py --fast', shell=True)\n    subprocess.call(['ls'], **kw)\n    os.closerange(3, os.sysconf('SC_OPEN_MAX'))\n    runner.run(['x'], close_fds=False)\n";
    let f = facts(src);
    assert_eq!(f.spawns.len(), 3, "{:#?}", f.spawns);
    let a = &f.spawns[0];
    assert_eq!(a.api, SpawnApi::PySubprocess);
    assert_eq!(a.callee, "subprocess.Popen");
    assert!(matches!(
        a.close_option,
        FdOption::Literal { value: false, .. }
    ));
    assert!(a.passes_fds.is_some());
    assert_eq!(a.interpreter.as_deref(), Some("python2"));
    let script = a.script.as_ref().unwrap();
    assert_eq!(script.path, "helpers/hl.py");
    assert!(script.relative_to_file);
    let b = &f.spawns[1];
    assert_eq!(b.callee, "Popen");
    assert_eq!(b.close_option, FdOption::Absent);
    assert_eq!(b.interpreter.as_deref(), Some("python3"));
    assert_eq!(b.script.as_ref().unwrap().path, "/opt/x/run.py");
    assert!(!b.script.as_ref().unwrap().relative_to_file);
    assert!(matches!(f.spawns[2].close_option, FdOption::Unknown { .. }));
    assert_eq!(f.closeranges.len(), 1);
    assert_eq!(f.closeranges[0].lower, Some(3));
}

#[test]
fn deep_nesting_does_not_overflow() {
    let src = format!("x = {}1{}\n", "(".repeat(50_000), ")".repeat(50_000));
    let _ = facts(&src);
    let src = format!(
        "maxfd = {}\nfor fd in range(3, maxfd):\n    os.close(fd)\n",
        "-".repeat(100_000) + "1"
    );
    let _ = facts(&src);
}

#[test]
fn sweep_loops_need_the_builtin_range_and_an_unread_variable() {
    let sweep = |extra: &str, after: &str| {
        let src = format!(
            "import os\n{extra}\n\ndef f():\n    # close the whole fd range\n    for fd in range(3, os.sysconf(\"SC_OPEN_MAX\")):\n        try:\n            os.close(fd)\n        except OSError:\n            pass\n{after}"
        );
        let f = facts(&src);
        assert_eq!(f.close_loops.len(), 1, "{src}");
        f.sweep_loops
    };
    let s = sweep("", "");
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].lower.map(|l| l.len()), Some(1));
    assert!(!s[0].inclusive);
    assert_eq!(
        s[0].closerange,
        Some(crate::facts::CloserangeName::Module {
            alias: "os".to_string()
        })
    );
    // `range` rebound somewhere in the file; a word in a string is not a binding.
    assert!(sweep("range = lambda *a: []", "").is_empty());
    assert_eq!(sweep("NOTE = 'range of fds'", "").len(), 1);
    // The variable read after the loop.
    assert!(sweep("", "    return fd\n").is_empty());
    assert_eq!(sweep("", "    return 0\n").len(), 1);
}

/// A budget that runs out keeps what was found before it and names the stage; the default
/// budget finds everything.
#[test]
fn a_spent_step_budget_keeps_the_loops_found_before_it() {
    let mut src =
        String::from("import os\nfor fd in range(3, 1024):\n    os.close(fd)\nb0 = 4096\n");
    for i in 1..=4 {
        src.push_str(&format!("b{i} = b{} + 1\n", i - 1));
    }
    src.push_str("for fd in range(3, b4):\n    os.close(fd)\n");
    let full = facts(&src);
    assert_eq!(full.close_loops.len(), 2);
    assert_eq!(full.exhausted, None);
    let with = |steps| {
        let opts = FrontendOptions {
            steps,
            ..FrontendOptions::default()
        };
        extract(&src, &opts).unwrap()
    };
    let first = (1..200)
        .find(|&s| !with(s).close_loops.is_empty())
        .expect("a small budget finds the first loop");
    let cut = with(first);
    assert_eq!(cut.close_loops.len(), 1, "{cut:?}");
    assert_eq!(cut.close_loops[0].span.start, src.find("for fd").unwrap());
    assert!(cut.exhausted.is_some(), "{cut:?}");
    // The same budget cuts at the same place on every run.
    assert_eq!(with(first), cut);
}

#[test]
fn python3_only_calls_record_the_newest_api_they_use() {
    let src = "import subprocess\nimport subprocess32\n\
               subprocess.run(a, capture_output=True)\n\
               subprocess.call(a, stdout=subprocess.DEVNULL, timeout=3)\n\
               subprocess.Popen(a, pass_fds=(3,))\n\
               subprocess.call(a)\n\
               subprocess32.call(a, timeout=3)\n";
    let f = facts(src);
    assert_eq!(f.spawns.len(), 5);
    let floors: Vec<(u8, &str)> = f
        .python3_only
        .iter()
        .map(|p| (p.minor, p.what.as_str()))
        .collect();
    // The backport has `timeout=` on Python 2, and a plain `call` needs nothing.
    assert_eq!(
        floors,
        [
            (7, "`capture_output=`"),
            (3, "`subprocess.DEVNULL`"),
            (2, "`pass_fds=`")
        ]
    );
}

#[test]
fn the_backport_rebound_by_assignment_is_the_backport() {
    let src = "import subprocess32\nsubprocess = subprocess32\nsubprocess.call(a)\n";
    let f = facts(src);
    assert_eq!(f.spawns.len(), 1);
    assert_eq!(f.spawns[0].api, SpawnApi::PySubprocess32);
    let src = "try:\n    import subprocess32 as subprocess\nexcept ImportError:\n    import subprocess\nsubprocess.call(a)\n";
    assert_eq!(facts(src).spawns[0].api, SpawnApi::PySubprocess32);
    let src = "import subprocess\nimport subprocess32 as sp32\nsubprocess.call(a)\n";
    assert_eq!(facts(src).spawns[0].api, SpawnApi::PySubprocess);
}

#[test]
fn callee_names_that_read_as_closing_one_fd() {
    use super::outside::reads_as_fd_close;
    for name in [
        "CloseFdNoError",
        "close_fd",
        "closefd_quietly",
        "safe_close",
        "sys_close",
    ] {
        assert_eq!(reads_as_fd_close(name), Some(FdAction::Close), "{name}");
    }
    assert_eq!(reads_as_fd_close("set_cloexec"), Some(FdAction::SetCloexec));
    for name in [
        "close_session",
        "closerange",
        "close_all_fds",
        "close_fds_from",
        "CloseLog",
        "isclose",
    ] {
        assert_eq!(reads_as_fd_close(name), None, "{name}");
    }
}
