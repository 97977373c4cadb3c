use super::*;

#[test]
fn the_weak_requirements_are_subprocess_and_os_popen() {
    assert_eq!(PYTHON[PYTHON_WEAK[0]].0, &[&["subprocess"][..]][..]);
    assert_eq!(PYTHON[PYTHON_WEAK[1]].0, &[&["popen"][..]][..]);
    for weak in [
        &b"import subprocess\nsubprocess.call(['ls'])\n"[..],
        b"import os\nos.popen('ls').read()\n",
        b"from os import popen\npopen('ls')\nsubprocess.run(['ls'])\n",
    ] {
        assert_eq!(admit(Lang::Python, weak), Admission::Weak);
    }
    for strong in [
        &b"import os\nos.popen3('ls')\n"[..],
        b"import popen2\np = popen2.Popen3('ls')\n",
        b"from subprocess import run\nrun(['ls'], close_fds=False)\n",
    ] {
        assert_eq!(admit(Lang::Python, strong), Admission::Yes);
    }
    let strong =
        b"import subprocess\nsubprocess.call(['ls'], close_fds=False)\nos.closerange(3, 9)\n";
    assert_eq!(admit(Lang::Python, strong), Admission::Yes);
    // A bare `range()` of the limit holds a list only on Python 2: weak. A container of it
    // holds one on any version: strong.
    assert_eq!(
        PYTHON[PYTHON_WEAK[2]].0,
        &[
            &["range"][..],
            &["NOFILE", "OPEN_MAX", "getdtablesize", "MAXFD"][..]
        ][..]
    );
    let bare =
        b"import resource\nn = resource.getrlimit(resource.RLIMIT_NOFILE)[1]\nr = range(3, n)\n";
    assert_eq!(admit(Lang::Python, bare), Admission::Weak);
    for container in [
        &b"import os\nfds = list(range(0, os.sysconf('SC_OPEN_MAX')))\n"[..],
        b"import subprocess\nfds = sorted (\n  range (3, subprocess.MAXFD))\n",
        b"import resource\nfds = frozenset( range(resource.getrlimit(resource.RLIMIT_NOFILE)[0]))\n",
    ] {
        assert_eq!(
            admit(Lang::Python, container),
            Admission::Yes,
            "{container:?}"
        );
        assert_eq!(
            facts(Lang::Python, std::str::from_utf8(container).unwrap())
                .fd_ranges
                .len(),
            1,
            "{container:?}"
        );
    }
    for not_container in [
        &b"fds = list(map(int, range(0, MAXFD)))\n"[..],
        b"fds = mylist(range(0, MAXFD))\n",
        b"fds = list(self.range(0, MAXFD))\n",
    ] {
        assert_eq!(
            admit(Lang::Python, not_container),
            Admission::Weak,
            "{not_container:?}"
        );
    }
    // Rust spawn facts serve only the link pass: weak.
    assert_eq!(RUST[RUST_WEAK[0]].0, &[&["Command"][..], &["arg"][..]][..]);
    let spawn = b"fn f() { Command::new(\"python2\").arg(\"helper.py\").spawn(); }";
    assert_eq!(admit(Lang::Rust, spawn), Admission::Weak);
    assert!(!parsed_without_context(Lang::Rust, spawn));
}

#[test]
fn python2_hints_cover_the_frontends_evidence() {
    let opts = crate::lang::FrontendOptions::default();
    // Every file the frontend judges Python 2 (given a fact that needs the dialect) has a
    // hint; plain Python 3 has none.
    for src in [
        "print 'x'\n",
        "print >>sys.stderr, 'x'\n",
        "print\"x\"\n",
        "exec 'code'\n",
        "try:\n  pass\nexcept OSError, e:\n  pass\n",
        "try:\n  pass\nexcept (OSError, IOError), e:\n  pass\n",
        "raise ValueError, 'bad'\n",
        "if a <> b:\n  pass\n",
        "s = `x`\n",
        "x = 0777\n",
        "n = 10L\n",
        "#!/usr/bin/env python2\n",
        "#!/usr/bin/env jython\n",
        "#!/usr/bin/pypy -O\n",
    ] {
        let src = format!("{src}import subprocess\nsubprocess.call(['ls'])\n");
        let facts = crate::lang::extract(Lang::Python, &src, &opts).unwrap();
        assert_eq!(
            facts.runtime.dialect,
            crate::facts::PythonDialect::Python2,
            "frontend: {src}"
        );
        assert!(python2_hint(src.as_bytes()), "hint: {src}");
    }
    for src in [
        "print('x')\nprint(a, b)\nx = print\n",
        "try:\n  pass\nexcept (OSError, IOError) as e:\n  raise ValueError('a, b')\n",
        "raise ValueError(f'{a}, {b}') from e\n",
        "x = 0o777 + 0 + 00 + 1.0777 + 10\nn = 'L'\n",
        "exec(code)\nd = {1: print}\n",
        "# print the result, except when raise x, y\n    # exec this\n",
    ] {
        assert!(!python2_hint(src.as_bytes()), "hint: {src}");
    }
}

#[test]
fn requirements() {
    assert!(may_match(
        Lang::Python,
        b"for fd in range(3, n):\n    os.close(fd)\n"
    ));
    assert!(!may_match(Lang::Python, b"for x in range(10): print(x)\n"));
    assert!(!may_match(Lang::Python, b"f.close()\n"));
    assert!(may_match(
        Lang::Ruby,
        b"3.upto(n) { |fd| IO.for_fd(fd).close }"
    ));
    assert!(!may_match(Lang::Ruby, b"puts 'hello'"));
    for spawn in [
        &b"Open3.popen3(cmd) do |i, o, e, t| end"[..],
        b"out, st = Open3.capture2(cmd)",
        b"system \"ls\", \"-l\"",
        b"Kernel.exec(cmd)",
        b"IO.popen(cmd)",
        b"Open3.pipeline_r(a, b)",
    ] {
        assert!(may_match(Lang::Ruby, spawn));
    }
    assert!(may_match(
        Lang::Rust,
        b"for fd in 3..n { libc::close(fd); }"
    ));
    assert!(!may_match(Lang::Rust, b"fn main() { drop(f); }"));
}

/// Every shape the Python frontend reports a loop for passes the prefilter; look-alikes
/// that only share tokens do not.
#[test]
fn python_shapes() {
    let positives = [
        "for fd in range(3, 4096):\n    os.close(fd)\n",
        "for \\\n  fd in range(3, 4096):\n    os.close \\\n (fd)\n",
        "for fd in xrange(4096):\n    os . close (  fd )\n",
        "[os.fstat(n)\n for  # c\n n in range(3, 4096)]\n",
        "list(map(os.close\n , range(3, 4096)))\n",
        "fd = 3\nwhile fd < 4096:\n    os.set_inheritable(fd, False)\n    fd += 1\n",
        "fd = 3\nwhile fd \\\n  < 4096:\n    os.close(fd)\n    fd += 1\n",
        "for fd in reversed(range(3, 4096)):\n    fcntl.fcntl(fd, fcntl.F_SETFD, 1)\n",
        "for é in range(3, 4096):\n    os.close(é)\n",
        // Helpers that close their parameter, called from the loop.
        "def shut(fd):\n    os.close(fd)\nfor n in range(3, 4096):\n    shut(n)\n",
        "def shut(flags=(0), sep=\")\", fd=None):\n    os.close(fd)\nfor n in range(3, 4096):\n    self.shut (1, 2, n)\n",
        // A `for` over a helper returning a range, in a file without `range` in the loop.
        "def fds():\n    return list(range(3, 4096))\nfor fd in fds():\n    os.close(fd)\n",
        "def fds():\n    return range(3, 4096)\nfor fd in self . fds ():\n    os.close(fd)\n",
        // The loop variable among the helper's arguments, across lines and comments with
        // parentheses (`# :)` must not end the argument list).
        "def shut(x, fd):\n    os.close(fd)\nfor n in range(3, 4096):\n    self.shut(\n        # fd :)\n        x, n)\n",
        "def shut(fd):\n    os.close(fd)\nfor n in range(3, 4096):\n    shut(\")\", n) if n else shut(n)\n",
        "list(map(os.close,\n  xrange(3, 4096)))\n",
    ];
    // Wrappers of another module: the frontend needs the index, the prefilter keeps them.
    for src in [
        "for i in range(3, n):\n    options.close_fd(i)\n",
        // A name holding `close` may be another module's wrapper (`fclose`, `_close`).
        "for x in range(4096):\n    fclose(x)\n",
        "for i in range(3, n):\n    utils.CloseFdNoError (i, True)\n",
        "fd = 3\nwhile fd < n:\n    h.safe_close(fd)\n    fd += 1\n",
        // A helper the frontend can reach: imported (plain, aliased, dotted, parenthesised
        // across lines, a backslash continuation with CRLF), or defined here as a method.
        "from .util import get_fds\nfor fd in get_fds():\n    os.close(fd)\n",
        "from .util import x as get_fds\nfor fd in get_fds():\n    os.close(fd)\n",
        "import pkg.util\nfor fd in pkg.util.fds():\n    os.close(fd)\n",
        "from .util import (\n    a,\n    fds,\n)\nfor fd in fds():\n    os.close(fd)\n",
        "from .util import a, \\\r\n    fds\r\nfor fd in fds():\r\n    os.close(fd)\r\n",
        "class D:\n    def fds(self):\n        return range(3, 4096)\n    def go(self):\n        for fd in self.fds():\n            os.close(fd)\n",
    ] {
        assert!(may_match(Lang::Python, src.as_bytes()), "{src:?}");
    }
    for src in [
        "for i in range(3, n):\n    options.closer(j)\n",
        "for i in range(3, n):\n    def close_fd(i):\n        pass\n",
        "for i in enumerate(x):\n    close_fd(i)\n",
        // A wrapper of another module in a loop over a helper is not followed.
        "for i in get_fds():\n    set_CLOEXEC(i)\n",
        // numpy's comparisons hold `close` but are no wrappers (scipy's test suites).
        "for i in range(3, n):\n    assert_allclose(i, y[i])\n",
        "for i in range(3, n):\n    np.isclose(i, 2)\n",
        "for i in range(n):\n    xp_assert_close(i, y)\n",
        // A helper the frontend cannot reach: neither defined nor imported here (a local
        // object's method, a name imported only inside a string of another statement).
        "for fd in conn.fds():\n    os.close(fd)\n",
        "import os\nfor fd in get_fds():\n    os.close(fd)\n",
    ] {
        assert!(!may_match(Lang::Python, src.as_bytes()), "{src:?}");
    }
    // Any comparison may start a `while` loop the query matches (the frontend judges the
    // operator), so the prefilter keeps them all.
    for src in [
        "fd = 3\nwhile fd != 4096:\n    os.close(fd)\n    fd += 1\n",
        "fd = 3\nwhile fd not in stop:\n    os.close(fd)\n    fd += 1\n",
        "fd = 3\nwhile fd is not None:\n    os.close(fd)\n",
        // Comments between the tokens of a shape are skipped.
        "list(map(os.close, # all of them\n  xrange(3, 4096)))\n",
        "import os\nfds = list(  # all\n  range(0, os.sysconf('SC_OPEN_MAX')))\n",
    ] {
        assert!(may_match(Lang::Python, src.as_bytes()), "{src:?}");
    }
    assert_python_loops(&positives, 1);
    let negatives = [
        "for line in range(4096):\n    print(line)\nf.close()\n",
        "while True:\n    sock.close()\n",
        "for x in range(4096):\n    os.close(y)\n",
        "class C:\n    def close(self):\n        pass\n    def go(self):\n        for i in range(9):\n            self.go()\n",
        "for x in range(4096):\n    os.close(self.fd)\n",
        "def shut(fd):\n    os.close(fd)\nfor n in range(3, 4096):\n    print(n)\n",
        // Loops over anything but a range call: pipes, lists, enumerate.
        "for fd in (r, w):\n    os.close(fd)\nfor i in range(3):\n    pass\n",
        "for fd in fds:\n    os.close(fd)\n",
        "for fd in enumerate(range(4096)):\n    os.close(fd)\n",
        "for fd, _ in pairs(range(4096)):\n    os.close(fd)\n",
        "while fd:\n    os.close(fd)\n    fd = nxt()\n",
        "while (fd < 4096):\n    os.close(fd)\n",
        "def shut(fd):\n    os.close(fd)\nfor n in items:\n    shut(n)\n",
        // A helper that closes its parameter, called but never with a loop variable.
        "def shut(sock):\n    os.close(sock)\nshut(self.sock)\nfor i in range(3):\n    print(i)\n",
        // `map` with an action that is not mapped over a range, or no `map` call at all.
        "atexit.register(self.close, 1)\nx = list(map(str, y))\nfor fd in range(3):\n    pass\n",
        "cb = (self.close, range(3))\nm = bitmap(1)\n",
    ];
    assert_python_loops(&negatives, 0);
    // Legacy popen calls need a whole `popen[234]` name; longer names are no call.
    for src in [
        "import os\nos.popen('ls')\n",
        "from os import popen3\npopen3('ls')\n",
        "import popen2\npopen2.Popen4('ls')\n",
    ] {
        assert_eq!(facts(Lang::Python, src).spawns.len(), 1, "{src}");
        assert!(
            may_match(Lang::Python, src.as_bytes()),
            "prefilter drops {src:?}"
        );
    }
    let src = "from x.nb_popen import NonBlockingPopen\nset_spawning_popen(1)\nself._popen = 1\n";
    assert!(facts(Lang::Python, src).spawns.is_empty());
    assert!(!may_match(Lang::Python, src.as_bytes()));
    // FD002 needs no action, only a range and a limit source.
    assert!(may_match(
        Lang::Python,
        b"fds = list(range(resource.getrlimit(resource.RLIMIT_NOFILE)[1]))\n"
    ));
}

/// How many close loops the Python frontend finds in `src`.
fn python_loops(src: &str) -> usize {
    facts(Lang::Python, src).close_loops.len()
}

/// Each text has `count` close loops (0 or 1) by the frontend, and the prefilter keeps exactly
/// those with one.
fn assert_python_loops(texts: &[&str], count: usize) {
    for src in texts {
        assert_eq!(
            python_loops(src),
            count,
            "frontend finds {count} loops in {src:?}"
        );
        assert_eq!(
            may_match(Lang::Python, src.as_bytes()),
            count > 0,
            "prefilter disagrees on {src:?}"
        );
    }
}

fn facts(lang: Lang, src: &str) -> crate::facts::Facts {
    crate::lang::extract(lang, src, &crate::lang::FrontendOptions::default()).unwrap()
}

/// The leftmost-longest scan that resumes after each match start sees every token a
/// naive search sees, also where tokens overlap or contain each other.
#[test]
fn scan_sees_every_token() {
    let texts: &[&[u8]] = &[
        b"getrlimit",
        b"closerange",
        b"...rlimit..",
        b"closerange(3, n) close(fd)",
        b"popen2 subprocess",
        b"xxgetdtablesizexOPEN_MAXNOFILE",
        b"Open3.capture2e spawn system exec pipeline_r",
        b"IO.for_fd(fd) File.new open close",
        b"from_raw_fd from_iter collect Command arg while",
    ];
    for lang in [Lang::Python, Lang::Ruby, Lang::Rust] {
        for t in texts {
            // requirements_met asserts the scan equals the naive search (debug builds).
            let _ = requirements_met(lang, t);
        }
    }
    for (path, lang) in crate::discover::discover(
        &[std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")],
        true,
        None,
    )
    .files
    .into_iter()
    .map(|c| (c.path, c.lang))
    {
        let _ = requirements_met(lang, &std::fs::read(path).unwrap());
    }
}

/// What `admit_text` must answer, computed the slow way: every token by substring search,
/// then every requirement on its own (met: all its groups hit and its shape check holds).
fn naive_admission(c: &Compiled, text: &[u8]) -> Admission {
    let seen = naive_seen(c, text);
    let met: Vec<bool> = c
        .requirements
        .iter()
        .map(|(mask, confirm)| seen & mask == *mask && confirm.is_none_or(|check| check(text)))
        .collect();
    if met
        .iter()
        .enumerate()
        .any(|(i, m)| *m && c.weak & (1 << i) == 0)
    {
        Admission::Yes
    } else if met.iter().any(|m| *m) {
        Admission::Weak
    } else {
        Admission::No
    }
}

/// The scan narrows its automaton to the tokens still worth finding (`Compiled::narrowed`):
/// on every fixture, and on texts of tokens and filler in every order, it answers as the naive
/// evaluation does, for each table (Ruby's code table included).
#[test]
fn the_narrowed_scan_admits_as_the_naive_evaluation() {
    let tables = [
        (Lang::Python, false),
        (Lang::Ruby, false),
        (Lang::Ruby, true),
        (Lang::Rust, false),
    ];
    let mut texts: Vec<Vec<u8>> = crate::discover::discover(
        &[std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")],
        true,
        None,
    )
    .files
    .into_iter()
    .map(|c| std::fs::read(c.path).unwrap())
    .collect();
    // Token soup: each table's tokens with code-like filler, drawn by a fixed xorshift so the
    // test is deterministic. Shape checks see real spellings (`close(fd)`, `for fd in`).
    let filler: &[&str] = &[
        " ",
        "\n",
        "(fd)",
        "(",
        ")",
        ".",
        "::",
        "fd",
        " in ",
        "|fd|",
        " 3..n ",
        "{",
        "}",
        "=",
        "os.",
        "libc::",
        "IO.",
        "#",
        "\"",
        "getrlimit(RLIMIT_NOFILE)",
        "range(3, n)",
        "new",
    ];
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    for (lang, code) in tables {
        let c = compiled_for(lang, code);
        for _ in 0..400 {
            let mut t = String::new();
            for _ in 0..1 + next(24) {
                if next(2) == 0 {
                    t.push_str(c.tokens[next(c.tokens.len())]);
                } else {
                    t.push_str(filler[next(filler.len())]);
                }
            }
            texts.push(t.into_bytes());
        }
    }
    for (lang, code) in tables {
        let c = compiled_for(lang, code);
        for t in &texts {
            assert_eq!(
                admit_text(c, t),
                naive_admission(c, t),
                "{lang:?} (code table: {code}) on {:?}",
                String::from_utf8_lossy(t)
            );
        }
    }
}

/// Every spelling of a Rust loop the frontend reports passes the prefilter on its own;
/// look-alikes do not.
#[test]
fn rust_shapes() {
    let max = "fn max() -> i32 { unsafe { libc::sysconf(libc::_SC_OPEN_MAX) as i32 } }\n";
    let positives = [
        "fn f() { for fd in 3..max() { unsafe { libc::close(fd) }; } }",
        "fn f() { for fd in 3..max() { unsafe { libc::close(fd as i32) }; } }",
        "fn f() { for fd in 3..max() { let _ = close( /* c /* nested */ */ &fd); } }",
        "fn f() { for fd in 3..max() { let _ = close(&mut fd); } }",
        "fn f() { (3..max()).for_each(|fd| unsafe { libc::close(*fd); }); }",
        "fn f() { (3..max()).for_each(move |&fd| unsafe { libc::close(fd); }); }",
        "fn f() { (3..max()).try_for_each(|fd: i32| nix::unistd::close(fd)); }",
        "fn f() { for mut fd in 3..max() { let _ = close(fd.try_into().unwrap()); } }",
        "fn f() { for fd in 3..max() { let _ = close(RawFd::try_from(fd).unwrap()); } }",
        "fn f() { for fd in 3..max() { let _ = close(i32::from(fd)); } }",
        "fn f() { for fd in 3..max() { let _ = close((fd)); } }",
        "fn f() { for fd in 3..max() { let _ = close(fd?); } }",
        "fn f() { for fd in 3..max() { let _ = File::from_raw_fd(\n fd\n); } }",
        "fn f() { for fd in 3..max() { unsafe { libc::fstat64(fd, &mut st) }; } }",
        "fn f() { for fd in 3..max() { unsafe { libc::fcntl(fd, libc::F_SETFD, 1) }; } }",
        "fn f() { let hi = max(); let mut fd = 3; while hi > fd { unsafe { libc::close(fd) }; fd = fd + 1; } }",
        "fn f() { let hi = max(); let mut n = 3; while (n) < hi { unsafe { libc::close(n) }; (n) += 1; } }",
        // Wrappers: a name containing `close`/`cloexec`, a method, a same-file function.
        "fn f() { for fd in 3..max() { safe_close(fd); } }",
        "fn f() { for fd in 3..max() { sys::close_nointr(fd); } }",
        "fn f() { for fd in 3..max() { unsafe { set_cloexec(fd) }; } }",
        "fn f(h: &H) { for fd in 3..max() { h.close(fd); } }",
        "fn shut(n: i32) { unsafe { libc::close(n) }; } fn f() { for fd in 3..max() { shut(fd); } }",
        // Through a module named like an action, and a turbofish.
        "use nix::fcntl::{fcntl, FcntlArg};\nfn f() { for fd in 3..max() { let _ = fcntl::fcntl(fd, F_SETFD); } }",
        "fn f() { for fd in 3..max() { let _ = close :: <i32>(fd); } }",
        // The iterable is a range under parentheses, adapters, closures and comments.
        "fn f() { for fd in (3..max()).rev() { unsafe { libc::close(fd) }; } }",
        "fn f() { for fd in (3..max()).filter(|x| { x % 2 == 0 }) { unsafe { libc::close(fd) }; } }",
        "fn f() { for fd in /* { */ 3..max() { unsafe { libc::close(fd) }; } }",
        "fn f() { for fd in (3\n  ..\n  max()) { unsafe { libc::close(fd) }; } }",
        "fn f() { (3..max()).for_each(\n  /* each */ move |fd| unsafe { libc::close(fd); }); }",
        // The block check: braces, quotes and `'` in comments and literals, a block as the
        // range's end, labels and lifetimes, a wrapper defined after its caller or taking the
        // fd second, nested closures and loops.
        "fn f() { for fd in 3..max() { /* } */ g(\"}\", '}', r#\"}\"#); unsafe { libc::close(fd) }; } }",
        "fn f() { for fd in 3..unsafe { libc::sysconf(libc::_SC_OPEN_MAX) as i32 } { unsafe { libc::close(fd) }; } }",
        "fn f() { for fd in 3..if true { max() } else { 9 } { unsafe { libc::close(fd) }; } }",
        "fn f<'a>(x: &'a str) { 'outer: for fd in 3..max() { let _: &'a str = x; unsafe { libc::close(fd) }; } }",
        "fn f() { for fd in 3..max() { let g = |x: i32| x; g(1); if fd > 2 { for _ in 0..1 { unsafe { libc::close(fd) }; } } } }",
        "fn f() { for fd in 3..max() { shut(1, fd); } }\nfn shut(_n: i32, fd: i32) { unsafe { libc::close(fd) }; }",
        "struct S; impl S { fn shut(&self, fd: i32) { unsafe { libc::close(fd) }; } fn f(&self) { for n in 3..max() { self.shut(n); } } }",
        "fn shut<const N: usize>(fd: i32) -> [u8; N] { unsafe { libc::close(fd) }; [0; N] } fn f() { for n in 3..max() { shut::<1>(n); } }",
        "fn f() { let hi = max(); let mut fd = 3; while fd < hi { let _ = { unsafe { libc::close(fd) } }; fd += 1; } }",
        "fn f() { let mut fd = 3; while fd < unsafe { libc::sysconf(libc::_SC_OPEN_MAX) as i32 } { unsafe { libc::close(fd) }; fd += 1; } }",
    ];
    for body in positives {
        let src = format!("{max}{body}\n");
        assert_eq!(
            facts(Lang::Rust, &src).close_loops.len(),
            1,
            "frontend finds no loop in {body}"
        );
        assert!(
            may_match(Lang::Rust, src.as_bytes()),
            "prefilter drops {body}"
        );
    }
    let negatives = [
        "fn f() { for i in 0..10 { println!(\"{i}\"); } unsafe { libc::close(self.fd) }; }",
        "fn f() { for i in 0..10 { t += i; } unsafe { libc::close(libc::STDIN_FILENO) }; }",
        "fn close(&mut self) { for i in 0..3 { g(i); } }",
        "fn f() { for i in 0..10 { close!(i); } }",
        // Loops over no range, closures no `for_each` takes, `for` in an `impl`.
        "fn f(fds: &[i32]) { for fd in fds { unsafe { libc::close(*fd) }; } let _ = 0..1; }",
        "fn f(v: Vec<i32>) { for fd in v.into_iter() { unsafe { libc::close(fd) }; } let _ = [0; 2][..]; }",
        "fn f(v: &[i32]) { v.iter().map(|fd| unsafe { libc::close(*fd) }).count(); let _ = 0..1; }",
        "impl Drop for Fd { fn drop(&mut self) { let fd = self.0; unsafe { libc::close(fd) }; let _ = 0..1; } }",
        "fn f(s: &str) { for fd in s.split(\"..\").map(|_| 3) { let _ = 0; } unsafe { libc::close(fd) }; }",
        // Paths through modules named like actions are no calls of them.
        "use nix::fcntl::{self, OFlag};\nuse close_fds::CloseFdsBuilder;\nfn f() { for i in 0..10 { g(i); } let _ = fcntl::AT_FDCWD; }",
        // The block check: the action on the loop's name is outside the loop (a socket
        // library: one function closes an fd, another loops over a range).
        "fn drop_fd(fd: i32) { unsafe { libc::close(fd) }; } fn f(v: &mut Vec<i32>) { for fd in 0..3 { v.push(fd); } }",
        "fn f() { for fd in 0..3 { g(fd); } let fd = 5; unsafe { libc::close(fd) }; }",
        "fn f() { for fd in 0..3 { g(fd); } /* for fd in 0..3 { libc::close(fd) } */ }",
        "fn f() { for fd in 0..3 { g(\"libc::close(fd)\"); } }",
        "fn f() { let mut fd = 0; while fd < 3 { fd += 1; } unsafe { libc::close(fd) }; }",
        "fn f() { (0..3).for_each(|fd| g(fd)); unsafe { libc::close(fd) }; }",
        "fn shut(fd: i32) { g(fd) } fn close_it(x: i32) { unsafe { libc::close(x) }; } fn f() { for fd in 0..3 { shut(fd); } }",
    ];
    for body in negatives {
        let src = format!("{max}{body}\n");
        assert!(facts(Lang::Rust, &src).close_loops.is_empty(), "{body}");
        assert!(
            !may_match(Lang::Rust, src.as_bytes()),
            "prefilter keeps {body}"
        );
    }
    // FD002: a limit, a range and a collection.
    let n = "let n = unsafe { libc::getdtablesize() };";
    for body in [
        "Vec::from_iter(3..n)",
        "Vec::from_iter((3..n).rev())",
        "let v: Vec<i32> = (3..n).collect(); v",
        "let v: Vec<i32> = (3 /* ) */ ..n)\n    .rev()\n    .step_by(1)\n    .collect(); v",
        "let v: Vec<i32> = (3..n).filter(|x| { x % 2 == 0 }).collect(); v",
    ] {
        let src = format!("fn f() -> Vec<i32> {{ {n} {body} }}");
        assert_eq!(facts(Lang::Rust, &src).fd_ranges.len(), 1, "{src}");
        assert!(
            may_match(Lang::Rust, src.as_bytes()),
            "prefilter drops {src}"
        );
    }
    // A collection of no range, a range of literals, a range beside the collection.
    for body in [
        "let v: Vec<i32> = (0..100).collect(); let _ = n; v",
        "let v: Vec<i32> = w.iter().copied().collect(); let _ = &w[1..n]; v",
        "let v: Vec<i32> = f(3..n).collect(); v",
        "let v: Vec<i32> = Vec::from_iter(w); let _ = &w[1..n]; v",
        "let v: Vec<i32> = 3..n.collect(); v",
    ] {
        let src = format!("fn f() -> Vec<i32> {{ {n} {body} }}");
        assert!(facts(Lang::Rust, &src).fd_ranges.is_empty(), "{src}");
        assert!(
            !may_match(Lang::Rust, src.as_bytes()),
            "prefilter keeps {src}"
        );
    }
    // Spawn facts (for the link pass): a Command running a script.
    let spawns = [
        "fn f() { Command::new(\"python2\").arg(\"helpers/x.py\").spawn(); }",
        "fn f() { std::process::Command :: new(\"python2\")\n .args([\"x.py\"]).spawn(); }",
        "fn f() { let mut c = Command::new(\"ruby\"); c.arg /* script */ (\"bin/run.rb\"); }",
    ];
    for src in spawns {
        assert_eq!(facts(Lang::Rust, src).spawns.len(), 1, "{src}");
        assert!(
            may_match(Lang::Rust, src.as_bytes()),
            "prefilter drops {src}"
        );
    }
    for src in [
        "fn f() { let target = 1; Command::new(\"ls\"); }",
        "fn f() { cmd.arg(\"x.py\"); }",
        "fn f() { App::new(\"x\").arg(Arg::new(\"y\")); }",
    ] {
        assert!(facts(Lang::Rust, src).spawns.is_empty(), "{src}");
        assert!(
            !may_match(Lang::Rust, src.as_bytes()),
            "prefilter keeps {src}"
        );
    }
}

/// Every spelling of a Ruby close loop the frontend reports passes the prefilter on its
/// own; look-alikes do not.
#[test]
fn ruby_loop_shapes() {
    let positives = [
        "3.upto(4096) { |fd| IO.for_fd(fd).close rescue nil }",
        "(3..65536).each { |fd| IO.open(fd).close rescue nil }",
        "3.upto(4096) { |fd| LibC.close(fd) }",
        "(3..4096).each do |fd|\n  UNIXSocket.new(fd).close rescue nil\nend",
        "(3..4096).each do | fd, i |\n  io = File.for_fd fd\n  io.close\nend",
        "for fd in 3..4096\n  ::IO.new(fd, autoclose: false).close_on_exec = true\nend",
        "fd = 3\nwhile fd < 4096\n  IO\n    .for_fd(fd).close rescue nil\n  fd += 1\nend",
        "4096.times { |fd| TCPSocket&.for_fd( fd ).close rescue nil }",
        // The block check: receivers, arguments and blocks across lines, literals with
        // brackets, `to_a`, `Array(..)`, `[*..]`, `upto(..).each`, bare arguments.
        "(3..4096)\n  .each do |fd|\n  IO.for_fd(fd).close rescue nil\nend",
        "(3..4096).to_a.each { |fd| s = \"}\"; IO.for_fd(fd).close rescue nil }",
        "Array(3..4096).each { |fd| IO.for_fd(fd).close rescue nil }",
        "[*3..4096].reverse_each { |fd| IO.for_fd(fd).close rescue nil }",
        "3.upto(4096).each do |fd| IO.for_fd(fd).close rescue nil end",
        "3.upto 4096 do |fd|\n  IO.for_fd(fd).close rescue nil\nend",
        "3.step(4096, 1) do\n|fd| # {\n  IO.for_fd(fd).close rescue nil\nend",
        "for fd in (3..4096) do IO.for_fd(fd).close rescue nil end",
        "def f\n  3.upto(4096) do |fd|\n    begin\n      IO.for_fd(fd).close\n    rescue\n    end\n  end\nend",
    ];
    for src in positives {
        assert_eq!(
            facts(Lang::Ruby, src).close_loops.len(),
            1,
            "frontend: {src:?}"
        );
        assert!(
            may_match(Lang::Ruby, src.as_bytes()),
            "prefilter drops {src:?}"
        );
    }
    let negatives = [
        "f = File.new(path)\n3.times { |i| puts i }\nf.close",
        "3.upto(4096) { |fd| conn.close(fd) }",
        "(0..9).each { |i| Foo.new(i) }",
        // The block check: no range under `each`, the call before the loop, in another
        // brace block, a brace block of a bare argument, in a `for` over no range.
        "files.each do |fd|\n  File.open(fd).close\nend",
        "@fds.each { |fd| IO.for_fd(fd).close rescue nil }",
        "IO.for_fd(fd).close\n(3..9).each { |fd| puts fd }",
        "3.upto(9) { |fd| puts fd }\n[1].map { |fd| IO.for_fd(fd).close }",
        "3.upto max { |fd| IO.for_fd(fd).close }",
        "for fd in list\n  IO.for_fd(fd).close rescue nil\nend",
    ];
    for src in negatives {
        assert!(
            facts(Lang::Ruby, src).close_loops.is_empty(),
            "frontend: {src:?}"
        );
        assert!(
            !may_match(Lang::Ruby, src.as_bytes()),
            "prefilter keeps {src:?}"
        );
    }
}

/// Every spelling of a Ruby spawn call the frontend reports passes the prefilter on its
/// own; longer names and other receivers do not.
#[test]
fn ruby_shapes() {
    let positives = [
        "Open3.popen3(cmd) { |i, o, e, t| o.read }",
        "Open3 .popen2e(cmd) { |i, o, t| o.read }",
        "::Open3.capture2(cmd)",
        "Open3.\n  capture2e(cmd)",
        "Open3\n  .capture2b(cmd)",
        "Open3 # comment\n  .capture3(cmd)",
        "Open3::pipeline_r(a, b) { |o, ts| o.read }",
        "Open3.pipeline_w(a) { |i, ts| i.close }",
        "Open3.pipeline_rw(a) { |i, o, ts| o.read }",
        "Open3.pipeline_start(a) { |ts| ts }",
        "Open3.pipeline(a, b)",
        "IO.popen(cmd, &:read)",
        "IO\t.popen(cmd, &:read)",
        "Process.spawn(cmd)",
        "Process&.spawn(cmd)",
        "Kernel.spawn(cmd)",
        "Kernel::system(cmd)",
        "Process.exec(cmd)",
        "pid = spawn(cmd)",
        "system \"make\"",
        "ok = !system(\"make\")",
        "[1].each { |x| system(\"make\", x) }",
        "exec \"python2\", \"x.py\"",
        "x = 1\nexec(cmd)",
        // A `#` line in a heredoc with an interpolation is code.
        "s = <<~EOS\n  # run: #{system(\"make\")}\nEOS\n",
        // Open3's methods called bare where `include Open3` / `extend Open3` mixes them in.
        "include Open3\nout, st = capture2(\"ls\")",
        "include Open3\npopen3 \"ls\" do |i, o, e, t| o.read end",
        "class T\n  include Open3\n  def go\n    popen3(cmd) { |i, o, e, t| o.read }\n  end\nend",
        "module R\n  extend Open3\n  def self.go(c) = capture3(c)\nend",
    ];
    for src in positives {
        assert_eq!(facts(Lang::Ruby, src).spawns.len(), 1, "frontend: {src:?}");
        assert!(
            may_match(Lang::Ruby, src.as_bytes()),
            "prefilter drops {src:?}"
        );
    }
    // A `%` literal delimited by `#` could end where a comment seems to start (Ruby reads
    // `%#...#` as a string; tree-sitter-ruby does not): such files get no exclusions.
    assert!(may_match(Lang::Ruby, b"s = %#\n# system 'make'\n"));
    let negatives = [
        "def filesystem; @filesystem; end",
        "execute(sql)\nexec_query(sql)",
        "@conn.exec(sql)\nconn.exec(sql)\nfoo(x).system(y)",
        "Runner.system(x)\nMyOpen3.popen3(x)",
        "@system = 1\n$exec = 2",
        "def spawned?; @spawned; end",
        "{ capture: true, pipeline_depth: 3, popen_opts: 1 }",
        "# Runs on any system; exec(cmd) was the old way.\n  # system \"make\"\nx = 1\n",
        "s = <<~EOS\n  # run system(\"make\") by hand\nEOS\n",
        // Bare Open3 names in a file that never names `Open3`, and a bare `popen`.
        "out, st = capture2(\"ls\")\npopen3(cmd) { |i, o, e, t| o.read }",
        "include Open3\npopen(cmd)",
    ];
    for src in negatives {
        assert!(
            facts(Lang::Ruby, src).spawns.is_empty(),
            "frontend: {src:?}"
        );
        assert!(
            !may_match(Lang::Ruby, src.as_bytes()),
            "prefilter keeps {src:?}"
        );
    }
}

/// A receiver-less `spawn`, `system` or `exec` with neither arguments nor a block is an
/// `identifier` to tree-sitter-ruby, never a `call` (ActiveRecord's `spawn.where!(..)`, a
/// local `system = ..`, redis' `pipeline.get(..)` at a line's start); each shape is checked
/// against the frontend both ways, with the file's code readable by the lexer and not (a
/// literal it gives up on, so only the raw text is judged).
#[test]
fn a_bare_spawn_name_without_arguments_is_no_call() {
    // A `/` after a value: the lexer gives up and the raw text is judged.
    let raw = "x = a /= 2\n";
    assert!(rbcode::lex(raw.as_bytes()).is_err());
    let positives = [
        "system \"ls\"",
        "system(\"ls\")",
        "spawn()",
        "exec \\\n  \"ls\"",
        "system [\"ls\", \"-l\"]",
        "system { |x| x }",
        "system do\n  1\nend",
        "spawn *cmd",
        "exec !cmd",
        "system ?a",
        "ok = system(cmd) || raise",
        "x = exec cmd if y",
        "Open3.\npopen3(cmd)",
        "Open3.\n  popen3",
        "Process.\n\n  spawn",
        "Kernel::\nsystem(cmd)",
        "Open3. # why\n  popen3(cmd)",
        "pipeline = 1\nOpen3.\n  pipeline(a, b)",
        // Between the receiver and its method on the next line, a doc block or a heredoc
        // body: the code before the line is only found on the code alone.
        "Open3.\n=begin\nx\n=end\npopen3(cmd)",
        "foo(<<~EOS, Open3.\n  body\nEOS\npopen3(cmd))",
    ];
    for code in positives {
        assert!(rbcode::lex(code.as_bytes()).is_ok(), "{code:?}");
        for src in [code.to_string(), format!("{raw}{code}")] {
            assert_eq!(facts(Lang::Ruby, &src).spawns.len(), 1, "frontend: {src:?}");
            assert!(
                may_match(Lang::Ruby, src.as_bytes()),
                "prefilter drops {src:?}"
            );
        }
    }
    // Ruled out wherever they stand on a line, and (`at_line_start`) only where the lexer
    // reads the code: on the raw text a name at a line's start always counts.
    let negatives = [
        "rel = spawn.where!(*args)",
        "pubid = system = nil",
        "[pubid, system]",
        "foo(exec)",
        "{ a: system }",
        "x = spawn || wakeup",
        "raise exec!",
        "x = system[k]",
        "x = (exec;\n1)",
        "conn.pipelined { |pipeline| pipeline.rpush(q, jobs) }",
    ];
    let at_line_start = [
        "def where(*args)\n  spawn.where!(*args)\nend",
        "spawn\n  .where!(x)",
        "exec;\nx",
        "  pipeline.get(\"stat\")\n  pipeline.set(\"a\", 1)",
        "conn.pipelined do |pipeline|\n  pipeline.rpush(q, jobs)\nend",
        "x = 1\n  exec",
        "spawn",
    ];
    let fixture = include_str!("../../fixtures/ruby/prefilter/bare_spawn_names.rb");
    assert!(facts(Lang::Ruby, fixture).spawns.is_empty());
    assert!(!may_match(Lang::Ruby, fixture.as_bytes()));
    for (code, anywhere) in negatives
        .iter()
        .map(|c| (c, true))
        .chain(at_line_start.iter().map(|c| (c, false)))
    {
        assert!(rbcode::lex(code.as_bytes()).is_ok(), "{code:?}");
        for (src, ruled_out) in [(code.to_string(), true), (format!("{raw}{code}"), anywhere)] {
            assert!(
                facts(Lang::Ruby, &src).spawns.is_empty(),
                "frontend: {src:?}"
            );
            assert_eq!(
                may_match(Lang::Ruby, src.as_bytes()),
                !ruled_out,
                "prefilter on {src:?}"
            );
        }
    }
}

/// A NUL byte is a space to the Ruby frontend (tree-sitter ended a comment at it, where Ruby
/// reads on to the end of the line; the fuzz input `ruby_prefilter_disagreement.rb`), and the
/// shape checks read across it. The Ruby lexer gives up on a NUL, so a spawn word in such a
/// comment keeps the file (looser, and sound).
#[test]
fn a_nul_byte_in_ruby_reads_as_a_space() {
    let comment = "# and symb\u{1e}\0\0ols. No spawn fact, so none.\nclass Store\nend\n";
    assert!(facts(Lang::Ruby, comment).spawns.is_empty());
    assert_eq!(rbcode::lex(comment.as_bytes()).err(), Some("a NUL byte"));
    assert!(may_match(Lang::Ruby, comment.as_bytes()));
    assert!(!may_match(
        Lang::Ruby,
        b"# No spawn fact, so none.\nclass Store\nend\n"
    ));
    for src in [
        "Open3.\0popen3(cmd) { |i, o, e, t| o.read }",
        "pid =\0spawn(cmd)",
        "x = \"a\0b\"\nsystem(\"make\")",
    ] {
        assert_eq!(facts(Lang::Ruby, src).spawns.len(), 1, "frontend: {src:?}");
        assert!(
            may_match(Lang::Ruby, src.as_bytes()),
            "prefilter drops {src:?}"
        );
    }
    let lp = "3.upto(4096) { |\0fd| IO.for_fd(\0fd).close rescue nil }";
    assert_eq!(facts(Lang::Ruby, lp).close_loops.len(), 1);
    assert!(may_match(Lang::Ruby, lp.as_bytes()));
}

#[test]
fn a_for_over_a_name_bound_to_a_range_is_a_loop() {
    let t = b"import os\nfrom .fdtools import hard_limit\nEVERY_FD = range(3, hard_limit())\n\
              def sweep():\n    for fd in EVERY_FD:\n        os.close(fd)\n";
    assert_eq!(admit(Lang::Python, t), Admission::Yes);
    // A name never assigned, a comparison, and a loop over an attribute are not that shape.
    for t in [
        &b"import os\nfor fd in EVERY_FD:\n    os.close(fd)\n"[..],
        b"import os\nif EVERY_FD == x: pass\nfor fd in EVERY_FD:\n    os.close(fd)\n",
        b"import os\nEVERY_FD = x\nfor fd in self.EVERY_FD:\n    os.close(fd)\n",
        b"import os\nEVERY_FD = listing()\nfor fd in EVERY_FD:\n    os.close(fd)\n",
    ] {
        assert_eq!(
            admit(Lang::Python, t),
            Admission::No,
            "{}",
            String::from_utf8_lossy(t)
        );
    }
    // A chain and an annotation reach the range.
    for t in [
        &b"import os\nEVERY_FD = ALL = range(3, n)\nfor fd in EVERY_FD:\n    os.close(fd)\n"[..],
        b"import os\nEVERY_FD: Iterable[int] = range(3, n)\nfor fd in EVERY_FD:\n    os.close(fd)\n",
    ] {
        assert_eq!(admit(Lang::Python, t), Admission::Yes, "{}", String::from_utf8_lossy(t));
    }
}

/// How tree-sitter-ruby reads the spellings whose reading depends on context, probed one by
/// one (a spawn call that one reading hides in a literal and the other leaves as code), and
/// what the Ruby lexer (`rbcode.rs`) must make of each: the prefilter admits exactly the
/// probes with a spawn fact. `spawns` is tree-sitter's reading: when a grammar update changes
/// one, the lexer's rule for that spelling must be probed again.
#[test]
fn ruby_lexer_agrees_with_tree_sitter_on_ambiguous_spellings() {
    let probes: &[(&str, usize)] = &[
        // `/` after a name and a space opens a regexp; without the space, or after `)`, `]`,
        // `}`, a number, a string or a symbol, it divides.
        ("x = y /2; system(\"ls\") # /\n", 0),
        ("x = @y /2; system(\"ls\") # /\n", 0),
        ("x = Y /2; system(\"ls\") # /\n", 0),
        ("x = y.z /2; system(\"ls\") # /\n", 0),
        ("x = y? /2; system(\"ls\") # /\n", 0),
        ("x = y! /2; system(\"ls\") # /\n", 0),
        ("x = $y /2; system(\"ls\") # /\n", 0),
        ("x = self /2; system(\"ls\") # /\n", 0),
        ("x = y/2; system(\"ls\") # /\n", 1),
        ("x = y?/2; system(\"ls\") # /\n", 1),
        ("x = y / 2; system(\"ls\") # /\n", 1),
        ("x = (y) /2; system(\"ls\") # /\n", 1),
        ("x = y[1] /2; system(\"ls\") # /\n", 1),
        ("x = 3 /2; system(\"ls\") # /\n", 1),
        ("x = \"s\" /2; system(\"ls\") # /\n", 1),
        ("x = foo { } /2; system(\"ls\") # /\n", 1),
        ("x = :s /2; system(\"ls\") # /\n", 1),
        // At the start of a line, whatever the line before ended with, also in brackets.
        ("x = y\n/2; system(\"ls\") # /\n", 0),
        ("x = foo(y\n/2; system(\"ls\") # /\n)\n", 0),
        ("x = [y\n/2; system(\"ls\") # /\n]\n", 0),
        ("x = y +\nz\n/2; system(\"ls\") # /\n", 0),
        // `%` opens a literal after a name (with or without a space) and where an expression
        // starts; after `)`, `]` or a number it is a modulo.
        ("x = y %(1; system(\"ls\"); (2))\n", 0),
        ("x = y%(1; system(\"ls\"); (2))\n", 0),
        ("x = y %w(1; system(\"ls\"); (2))\n", 0),
        ("x = y %Q{1; system(\"ls\"); {2}}\n", 0),
        ("x = y %r{1; system(\"ls\"); {2}}\n", 0),
        ("x = y.z %i[1; system(\"ls\"); [2]]\n", 0),
        ("x = y\n%(1; system(\"ls\"); (2))\n", 0),
        ("x = %q|1; system(\"ls\"); |\n", 0),
        ("x = %r%1; system(\"ls\"); %\n", 0),
        ("x = %w'1; system(\"ls\"); '\n", 0),
        ("x = %q\"1; system(\"ls\"); \"\n", 0),
        ("x = %@1; system(\"ls\"); @\n", 0),
        ("x = (y) %(1; system(\"ls\"); (2))\n", 1),
        ("x = 3 %(1; system(\"ls\"); (2))\n", 1),
        ("x = y[1] %(1; system(\"ls\"); (2))\n", 1),
        ("x = y %2; system(\"ls\") # 2\n", 1),
        // `<<` and a name or a quote: a heredoc after a name or a string, a shift after `)`,
        // `]` or a number, and never with a space after `<<`.
        ("x = y <<EOS\nsystem(\"ls\")\nEOS\n", 0),
        ("x = y<<EOS\nsystem(\"ls\")\nEOS\n", 0),
        ("arr <<item\nsystem(\"ls\")\nitem\n", 0),
        ("x = @y <<EOS\nsystem(\"ls\")\nEOS\n", 0),
        ("x = y.z <<EOS\nsystem(\"ls\")\nEOS\n", 0),
        ("x = \"s\" <<EOS\nsystem(\"ls\")\nEOS\n", 0),
        ("def usage\n  <<-EOF\nsystem(\"ls\")\nEOF\nend\n", 0),
        ("x = foo(<<A, <<B)\na\nA\nb\nB\nsystem(\"ls\")\n", 1),
        ("x = <<~EOS.strip\n  abc\nEOS\nsystem(\"ls\")\n", 1),
        ("a << EOS\nsystem(\"ls\")\nEOS\n", 1),
        // Interpolations are code, also in heredocs and nested.
        ("x = <<~EOS\n  #{system(\"ls\")}\nEOS\n", 1),
        ("x = \"#{\"}\"}\"\nsystem(\"ls\")\n", 1),
        ("x = /a#{\"/\"}b/\nsystem(\"ls\")\n", 1),
        ("x = 'a #{b'\nsystem(\"ls\")\n", 1),
        // `?` and a character: a character literal where an expression starts.
        ("x = foo(?/); system(\"ls\") # /\n", 1),
        ("x = a != ?%; system(\"ls\") # %\n", 1),
        ("x = foo(?\\r); system(\"ls\") # /\n", 1),
        ("x = foo(?\"); system(\"ls\") # \"\n", 1),
        ("x = y\n?\"; system(\"ls\") # \"\n", 1),
        // `:` and a quote opens a string whichever `:` it is; `:` and a name after a value
        // is the ternary's (a call), after an operator a symbol.
        ("x = y :\"; system(\"ls\") # \"\n", 0),
        ("x = c ? y :system(\"ls\")\n", 1),
        ("x = [:a,\n:system]\n", 0),
        ("x = c ? [:system] : 1\n", 0),
        ("x = { :a => :system }\n", 0),
        ("foo(\n  system: 1)\n", 0),
        ("foo {system: 1}\n", 0),
        ("alias_method :<<, :tell\nsystem(\"ls\") # <<\ntell\n", 1),
        ("x = [Kernel, :`]; system(\"ls\") # `\n", 1),
        ("foo(:/); system(\"ls\") # /\n", 1),
        // Globals with punctuation.
        ("x = $\"\nsystem(\"ls\")\n", 1),
        ("x = $'; system('ls') # '\n", 1),
        ("x = $`; system(\"ls\") # `\n", 1),
        // Comments, `=begin` blocks and `__END__`.
        ("=begin\nsystem(\"ls\")\n=end\n", 0),
        ("x = 1\n=begin\nsystem(\"ls\")\n=end\nsystem(\"ls\")\n", 1),
        ("x = 1 # system(\"ls\")\n", 0),
        // Escaped quotes and multi-line strings.
        ("when_x = \"a\nsystem(\\\"ls\\\")\"\n", 0),
        ("x = 'it\\'s'; system(\"ls\")\n", 1),
    ];
    for (src, spawns) in probes {
        assert_eq!(
            facts(Lang::Ruby, src).spawns.len(),
            *spawns,
            "tree-sitter-ruby reads {src:?} differently now"
        );
        assert_eq!(
            may_match(Lang::Ruby, src.as_bytes()),
            *spawns > 0,
            "prefilter on {src:?} (lexer: {:?})",
            rbcode::lex(src.as_bytes()).err()
        );
    }
    // Spellings it gives up on (the whole text is judged, so the file is kept), with why.
    let given_up: &[(&str, &str)] = &[
        // Clean text after `__END__` is no code, but a syntax error before it makes
        // tree-sitter read on (`regression_ruby_end_marker_after_a_syntax_error.rb`).
        ("x=1\n__END__\nsystem(\"ls\")\n", "__END__"),
        ("x = y /= 2; z = 1 # /\n", "`/=` after a value"),
        ("def /(x); end\n", "`/` after a method dot"),
        ("def `(cmd); end\n", "a backtick method name"),
        ("x = %#a#\n", "a `%` literal read differently"),
        ("x = %;a;\n", "a `%` literal read differently"),
        ("x = \"s\" %w(a)\n", "`%` and a delimiter after a value"),
        ("x = (y) <<EOS\nEOS\n", "a heredoc start after a value"),
        ("class <<self\nend\n", "a heredoc start after a value"),
        (
            "x = <<~EOS\n  a\n  EOS  \nEOS\n",
            "a heredoc line that could end it",
        ),
        (
            "x = <<EOS\n  EOS\nEOS\n",
            "a heredoc line that could end it",
        ),
        ("x = <<EOS\na\n", "an unterminated literal or heredoc"),
        (
            "x = \"#{<<EOS}\"\nEOS\n",
            "a heredoc opened in an interpolation",
        ),
        ("x = /[/]/\n", "a regexp ending inside a character class"),
        ("x = y ?\"a\" : 1\n", "`?` and punctuation"),
        ("x = ?\\u0041\n", "an escaped character literal"),
        ("x = 1\0\n", "a NUL byte"),
    ];
    for (src, why) in given_up {
        assert_eq!(rbcode::lex(src.as_bytes()).err(), Some(*why), "{src:?}");
    }
}

/// The blanked copy keeps every code byte and line break in place.
#[test]
fn ruby_lexer_blanks_only_what_is_not_code() {
    let src = "x = \"a#{b(\"c\")}d\" # e\ny = <<~E\n  f #{g}\nE\nz = %w[h i] + [:j, k: 1]\n";
    let want = "x =     b(   )       \ny =     \n      g \n \nz =         + [  ,    1]\n";
    let got = rbcode::code_only(src.as_bytes()).unwrap();
    assert_eq!(String::from_utf8(got).unwrap(), want);
}

/// Each method of the fixture, alone, keeps its spawn call through the prefilter: the
/// fixture as a whole would pass if only one of its literals were read right.
#[test]
fn every_spawn_after_a_tricky_literal_passes_the_prefilter_alone() {
    let fixture = include_str!("../../fixtures/ruby/prefilter/spawn_calls_after_literals.rb");
    let mut methods = 0;
    for chunk in fixture.split("\n  def self.").skip(1) {
        let body = chunk.split("\n  end\n").next().unwrap();
        let src = format!("def self.{body}\nend\n");
        assert_eq!(facts(Lang::Ruby, &src).spawns.len(), 1, "{src}");
        assert!(
            may_match(Lang::Ruby, src.as_bytes()),
            "prefilter drops {src}"
        );
        methods += 1;
    }
    assert_eq!(methods, 12);
    let prose = include_str!("../../fixtures/ruby/prefilter/spawn_words_in_literals.rb");
    assert!(facts(Lang::Ruby, prose).spawns.is_empty());
    assert_eq!(rbcode::lex(prose.as_bytes()).err(), None);
    assert!(!may_match(Lang::Ruby, prose.as_bytes()));
}

/// The block check (`pyblock`): an fd action counts only inside its loop's statement, and a
/// loop statement that leaves early (`exits_early`) counts for nothing. Each positive is a
/// loop the frontend finds, each negative a text where it finds none, so the prefilter must
/// keep exactly the positives.
#[test]
fn python_actions_must_be_inside_a_loop_that_does_not_leave_early() {
    let positives = [
        // The body on the header's line, after blank and comment lines at column 0, inside
        // brackets that start lines at column 0, after a string whose lines start at column 0.
        "for fd in range(3, 4096): os.close(fd)\n",
        "def f():\n    for fd in range(3, 4096):\n\n# note\n        os.close(fd)\n",
        "def f():\n    for fd in range(3, 4096):\n        x = [\n1]\n        os.close(fd)\n",
        "def f():\n    for fd in range(3, 4096):\n        s = '''\nx\n'''\n        os.close(fd)\n",
        // A comprehension whose call is on a line before its `for`, and one in a `return`.
        "def f():\n    x = [\nos.close(fd)\n        for fd in range(3, 4096)]\n",
        "def f():\n    return [os.close(fd) for fd in range(3, 4096)]\n",
        // `break` and `return` that are not the loop's: a nested loop's (also in its `else`),
        // a nested function's, in a string or a comment, part of a longer name.
        "for fd in range(3, 4096):\n    for x in y:\n        break\n    os.close(fd)\n",
        "for fd in range(3, 4096):\n    for x in y:\n        pass\n    else:\n        break\n    os.close(fd)\n",
        "for fd in range(3, 4096):\n    def g():\n        return 1\n    os.close(fd)\n",
        "for fd in range(3, 4096):\n    os.close(fd)  # break\n    s = 'return'\n    breaks = 1\n",
        "fd = 3\nwhile fd < 4096:\n    while True:\n        break\n    os.close(fd)\n    fd += 1\n",
        // A helper whose action is in its own statement, called inside the loop's.
        "def shut(fd):\n    os.close(fd)\nfor n in range(3, 4096):\n    shut(n)\n",
        // Tab indentation.
        "def f():\n\tfor fd in range(3, 4096):\n\t\tos.close(fd)\n",
    ];
    assert_python_loops(&positives, 1);
    let negatives = [
        // The call after the loop: a search for a free fd, then a close of the one found
        // (CPython's and multiprocess's test suites).
        "for newfd in range(256, 4096):\n    if free(newfd):\n        break\nos.close(newfd)\n",
        "def f():\n    for fd in range(3, 4096):\n        pass\n    os.close(fd)\n",
        "def f():\n    for fd in range(3, 4096):\n        x = (1,\n2)\n    os.close(fd)\n",
        // A loop that leaves early: a `break` or `return` first on its line.
        "for fd in range(3, 4096):\n    if fd > 9:\n        break\n    os.close(fd)\n",
        "def f():\n    for fd in range(3, 4096):\n        os.close(fd)\n        if x:\n            return fd\n",
        "fd = 3\nwhile fd < 4096:\n    os.close(fd)\n    fd += 1\n    break\n",
        // A helper that closes some other name, and one called outside every loop.
        "def shut(fd):\n    os.close(x)\n    os.close(fd2)\nfd2 = 1\nfor n in range(3, 4096):\n    shut(n)\n",
        "def shut(fd):\n    os.close(fd)\nfor n in range(3, 4096):\n    pass\nshut(n)\n",
    ];
    assert_python_loops(&negatives, 0);
    // Looser than the frontend: a `break` or `return` after `if x:` or `;` is not counted
    // (on a line that is not Python, `if x:while y: break`, tree-sitter's recovery may nest
    // it in a loop of its own), and neither is one under a line that holds a nesting word.
    for src in [
        "def f():\n    for fd in range(3, 4096):\n        os.close(fd)\n        if x: return fd\n",
        "for fd in range(3, 4096): os.close(fd); break\n",
        "for fd in range(3, 4096):\n    if any(y for y in z):\n        break\n    os.close(fd)\n",
    ] {
        assert_eq!(python_loops(src), 0, "frontend finds a loop in {src:?}");
        assert!(may_match(Lang::Python, src.as_bytes()), "{src:?}");
    }
    let searches =
        include_str!("../../fixtures/python/prefilter/searches_then_close_after_the_loop.py");
    assert_eq!(codes_without_prefilter(searches), Vec::<&str>::new());
    assert_eq!(admit(Lang::Python, searches.as_bytes()), Admission::Weak);
    assert!(!python2_hint(searches.as_bytes()));
    // Where the blocks cannot be read, the whole file counts, as before the check.
    for src in [
        "def f():\n        for fd in range(3, 4096):\n            pass\n    os.close(fd)\n",
        "def f():\n\tfor fd in range(3, 4096):\n        pass\n    os.close(fd)\n",
        "for fd in range(3, 4096):\n    pass\nos.close(fd)\nx = (\n",
        "for fd in range(3, 4096):\n    pass\nos.close(fd)\ns = 'open\n",
    ] {
        assert!(may_match(Lang::Python, src.as_bytes()), "{src:?}");
    }
}

/// The rules' codes for a Python text linted without the prefilter.
fn codes_without_prefilter(src: &str) -> Vec<&'static str> {
    let settings = crate::settings::Settings {
        prefilter: false,
        ..crate::settings::Settings::default()
    };
    crate::engine::lint_text(std::path::Path::new("x.py"), Lang::Python, src, &settings)
        .findings
        .iter()
        .map(|f| f.rule.code)
        .collect()
}

/// FD002 containers, `close_fds`, and the `commands` module: the shapes that tell a file that
/// cannot have their findings from one that may.
#[test]
fn python_container_close_fds_and_commands_shapes() {
    // A container of a range with no name in its arguments cannot reach the limit (the
    // bare `range` of Python 2 still admits the file weakly).
    for src in [
        "import os\nMAXFD = os.sysconf('SC_OPEN_MAX')\nx = list(range(10))\ny = set(range(0x10, 2 * 8))\n",
        "import resource  # RLIMIT_NOFILE\nx = sorted(range(1_000, (3 + 4)))\n",
    ] {
        assert_eq!(codes_without_prefilter(src), Vec::<&str>::new(), "{src:?}");
        assert_ne!(
            admit(Lang::Python, src.as_bytes()),
            Admission::Yes,
            "{src:?}"
        );
    }
    for src in [
        "import os\nMAXFD = os.sysconf('SC_OPEN_MAX')\nx = list(range(MAXFD))\n",
        "import os\nx = list(range(3, os.sysconf('SC_OPEN_MAX')))\n",
        "import os\nn = os.sysconf('SC_OPEN_MAX')\nx = tuple(range(3, n + 1))\n",
    ] {
        assert_eq!(codes_without_prefilter(src), ["FD002"], "{src:?}");
        assert_eq!(
            admit(Lang::Python, src.as_bytes()),
            Admission::Yes,
            "{src:?}"
        );
    }
    // Every `close_fds` a literal `True`: a finding only on Python 2, like a call without
    // it, so weak. Anything else may be false: strong.
    for src in [
        "import subprocess\nsubprocess.call(['ls'], close_fds=True)\n",
        "import subprocess\nkw = {'close_fds': True, 'shell': False}\nsubprocess.call(['ls'], **kw)\n",
        "import subprocess\nkw['close_fds'] = True  # always\nsubprocess.call(['ls'], **kw)\n",
        "import subprocess\nsubprocess.call(['ls'], close_fds = 1)\ndef _close_fds(self): pass\n",
    ] {
        assert_eq!(
            admit(Lang::Python, src.as_bytes()),
            Admission::Weak,
            "{src:?}"
        );
    }
    for src in [
        "import subprocess\nsubprocess.call(['ls'], close_fds=False)\n",
        "import subprocess\nsubprocess.call(['ls'], close_fds=flag)\n",
        "import subprocess\nsubprocess.call(['ls'], close_fds=True if a else False)\n",
        "import subprocess\nsubprocess.call(['ls'], close_fds=True)\nsubprocess.call(['ls'], close_fds=0)\n",
        "import subprocess\nkw = dict(close_fds=False)\nsubprocess.call(['ls'], **kw)\n",
    ] {
        assert_eq!(
            admit(Lang::Python, src.as_bytes()),
            Admission::Yes,
            "{src:?}"
        );
    }
    let false_kw = "import subprocess\nsubprocess.call(['ls'], close_fds=False)\n";
    assert_eq!(facts(Lang::Python, false_kw).spawns.len(), 1);
    // `getoutput` is a legacy call only of the module `commands`.
    for src in [
        "import commands\ncommands.getoutput('ls')\n",
        "from commands import getstatusoutput\ngetstatusoutput('ls')\n",
        "import commands as c\nprint(f\"{c.getoutput('ls')}\")\n",
        "import commands\nout = commands.getoutput(\"ls \" + \"-l\")\n",
    ] {
        assert_eq!(facts(Lang::Python, src).spawns.len(), 1, "{src:?}");
        assert_eq!(
            admit(Lang::Python, src.as_bytes()),
            Admission::Yes,
            "{src:?}"
        );
    }
    for src in [
        "import subprocess\nsubprocess.getoutput('ls')\n",
        "from IPython.utils.process import getoutput\ngetoutput('ls')  # a shell command\n",
        // six.moves: the module and the function are strings.
        "import subprocess\nMovedAttribute(\"getoutput\", \"commands\", \"subprocess\")\n",
        // A comment names the module; the call is another module's.
        "from IPython.utils.process import getoutput\n# like commands.getoutput\ngetoutput('ls')\n",
    ] {
        assert!(facts(Lang::Python, src).spawns.is_empty(), "{src:?}");
        assert_ne!(
            admit(Lang::Python, src.as_bytes()),
            Admission::Yes,
            "{src:?}"
        );
    }
}

/// A loop over a range with a small literal bound makes no finding: FD001 guesses from 256
/// (closes, flags) and from 1,024 (probes). Each case: the findings without the prefilter,
/// and whether it admits the file.
#[test]
fn python_loops_to_a_small_literal_bound() {
    let helper = "def free(fd):\n    try:\n        os.fstat(fd)\n    except OSError:\n        return True\n    return False\n";
    let fd001 = vec!["FD001"];
    for (src, codes, admitted) in [
        (
            "for fd in range(3, 255):\n    os.close(fd)\n".to_string(),
            vec![],
            false,
        ),
        (
            "for fd in range(3, 256):\n    os.close(fd)\n".to_string(),
            fd001.clone(),
            true,
        ),
        (
            "for fd in reversed(xrange(1_000)):\n    os.close(fd)\n".to_string(),
            fd001.clone(),
            true,
        ),
        (
            "for fd in range(0, 256):\n    os.fstat(fd)\n".to_string(),
            vec![],
            false,
        ),
        (
            "for fd in range(0, 1024):\n    os.fstat(fd)\n".to_string(),
            fd001.clone(),
            true,
        ),
        // A probe through a helper (multiprocess's `_is_fd_assigned`), to 256 and to 8192.
        (
            format!("{helper}for i in range(0, 256):\n    if free(i):\n        os.dup2(1, i)\n"),
            vec![],
            false,
        ),
        (
            format!("{helper}for i in range(8192):\n    if free(i):\n        os.dup2(1, i)\n"),
            fd001.clone(),
            true,
        ),
        // A probe and a close in one loop to 512: the frontend takes the first action (a
        // probe, no finding); the prefilter counts the close and admits the file (looser).
        (
            "for fd in range(3, 512):\n    os.fstat(fd)\n    os.close(fd)\n".to_string(),
            vec![],
            true,
        ),
        // Arithmetic is not read: admitted, whatever it comes to.
        (
            "for fd in range(3, 2 * 100):\n    os.close(fd)\n".to_string(),
            vec![],
            true,
        ),
    ] {
        let src = format!("import os\n{src}");
        assert_eq!(codes_without_prefilter(&src), codes, "{src}");
        assert_eq!(
            admit(Lang::Python, src.as_bytes()) == Admission::Yes,
            admitted,
            "{src}"
        );
    }
}

/// Ruby's table for code alone differs from the whole text's only in its checks: the same
/// token groups, requirement by requirement (else the code pass could miss a token the first
/// pass needed, or the reverse).
#[test]
fn ruby_tables_for_text_and_code_have_the_same_tokens() {
    assert_eq!(super::ruby::RUBY.len(), super::ruby::RUBY_ON_CODE.len());
    for (a, b) in super::ruby::RUBY.iter().zip(super::ruby::RUBY_ON_CODE) {
        assert_eq!(a.0, b.0);
    }
}

/// Whether the frontend finds a spawn call whose `close_fds` may be `False`.
fn may_close_fds_false(src: &str) -> bool {
    use crate::facts::FdOption;
    facts(Lang::Python, src).spawns.iter().any(|s| {
        !matches!(
            s.close_option,
            FdOption::Absent | FdOption::Unknown { .. } | FdOption::Literal { value: true, .. }
        )
    })
}

/// `close_fds` counts only as a keyword argument or a string key (`python_close_fds_not_true`):
/// each shape is checked against the frontend both ways.
#[test]
fn close_fds_counts_only_as_a_keyword_or_a_key() {
    // No value of `close_fds` reaches a call: at most weak (a `subprocess` call without it).
    for src in [
        "import subprocess\ndef close_fds(*fds):\n    pass\nsubprocess.call(['ls'])\n",
        "import subprocess\ndef  close_fds (fds):\n    pass\nsubprocess.call(['ls'], close_fds=True)\n",
        "import subprocess\nif pass_fds and not close_fds:\n    close_fds = True\nsubprocess.call(['ls'])\n",
        "import subprocess\np._execute_child(args, executable, close_fds,\n    pass_fds)\nsubprocess.call(['ls'])\n",
        "import subprocess\nif close_fds is None or close_fds == False:\n    pass\nsubprocess.call(['ls'])\n",
        "import subprocess\ndef run(cmd, close_fds: bool):\n    subprocess.call(cmd)\n",
        "import subprocess\n# close_fds: see subprocess.Popen\nsubprocess.call(['ls'], close_fds = True)\n",
        "import subprocess\nx = 'close_fds is the 8th argument'\nsubprocess.call(['ls'])\n",
    ] {
        assert!(!may_close_fds_false(src), "frontend: {src:?}");
        assert!(!facts(Lang::Python, src).spawns.is_empty(), "{src:?}");
        assert_eq!(
            admit(Lang::Python, src.as_bytes()),
            Admission::Weak,
            "{src:?}"
        );
    }
    // A keyword (also of `dict(..)` and `.update(..)`, also split over lines) or a key.
    for src in [
        "import subprocess\ndef run(cmd, close_fds=False):\n    subprocess.call(cmd, close_fds=close_fds)\n",
        "import subprocess\ndef run(cmd, close_fds: bool = False):\n    subprocess.call(cmd, close_fds=close_fds)\n",
        "import subprocess\nsubprocess.call(['ls'],\n    close_fds  # why\n    =False)\n",
        "import subprocess\nsubprocess.call(['ls'], close_fds=\n    False)\n",
        "import subprocess\nc = False\nsubprocess.call(['ls'], close_fds=c)\n",
        "import subprocess\nkw = {}\nkw.setdefault('close_fds', False)\nsubprocess.call(['ls'], **kw)\n",
        "import subprocess\nkw = {\"close_fds\"   :False}\nsubprocess.call(['ls'], **kw)\n",
        "import subprocess\nkw = {'''close_fds''': False}\nsubprocess.call(['ls'], **kw)\n",
        "import subprocess\nkw = {}\nkw['close_fds'] = False\nsubprocess.call(['ls'], **kw)\n",
        "import subprocess\nkw = {}\nkw.update(close_fds=False)\nsubprocess.call(['ls'], **kw)\n",
        "import subprocess\nkw = dict(close_fds = 0)\nsubprocess.call(['ls'], **kw)\n",
    ] {
        assert!(may_close_fds_false(src), "frontend: {src:?}");
        assert_eq!(
            admit(Lang::Python, src.as_bytes()),
            Admission::Yes,
            "{src:?}"
        );
    }
}

/// `closerange` counts as a call or an import of `os.closerange` whose bound may be the limit
/// (`python_closerange_call`): each shape is checked against the frontend both ways, with
/// FD005 judged on Python 2 (where the call is a loop).
#[test]
fn closerange_counts_only_where_its_bound_may_be_the_limit() {
    let settings = crate::settings::Settings {
        prefilter: false,
        python_version: crate::settings::Version::parse("2.7"),
        ..crate::settings::Settings::default()
    };
    let closeranges = |src: &str| {
        crate::engine::lint_text(std::path::Path::new("x.py"), Lang::Python, src, &settings)
            .findings
            .iter()
            .filter(|f| f.rule.code == "FD005")
            .count()
    };
    let limit = "import os\nMAXFD = os.sysconf('SC_OPEN_MAX')\n";
    for body in [
        "os.closerange(3, 256)\n",
        "os.closerange(3, 0x1_00,)\n",
        "os.closerange(\n    3,\n    1024\n)\n",
        "os.closerange(fds[i] + 1, fds[i + 1])\n",
        "os.closerange(3, self.fds[ len(fds) - 1 ])\n",
        "os.closerange.assert_called_with(5, MAXFD)\n",
        "with mock.patch('os.closerange') as closerange:\n    closerange.assert_not_called()\n",
        "mock.patch.object(os, \"closerange\")\n",
        "# os.closerange(3, MAXFD)\n",
        "def closerange(lo, hi):\n    pass\n",
        "def test_closerange_gaps():\n    x = close_range(3, MAXFD)\n",
        "f = getattr(os, 'closerange')\n",
    ] {
        let src = format!("{limit}{body}");
        assert_eq!(closeranges(&src), 0, "frontend: {src:?}");
        // `closerange` holds `range`: with the limit's name that is the weak requirement of
        // a bare `range` of the limit, which needs a Python 2 file.
        assert_ne!(
            admit(Lang::Python, src.as_bytes()),
            Admission::Yes,
            "{src:?}"
        );
        assert!(
            !parsed_without_context(Lang::Python, src.as_bytes()),
            "{src:?}"
        );
    }
    for (body, found) in [
        ("os.closerange(3, MAXFD)\n", 1),
        ("os.closerange(3, MAXFD + 0)\n", 1),
        ("os . closerange (3,  # the limit\n    MAXFD)\n", 1),
        (
            "r = resource.getrlimit(resource.RLIMIT_NOFILE)\nos.closerange(3, r[1])\n",
            1,
        ),
        (
            "r = resource.getrlimit(resource.RLIMIT_NOFILE)\nos.closerange(3, r[-1])\n",
            1,
        ),
        (
            "r = resource.getrlimit(resource.RLIMIT_NOFILE)\nos.closerange(3, r[0])\n",
            1,
        ),
        ("from os import closerange\ncloserange(3, MAXFD)\n", 1),
        // The import alone names it.
        ("from os import closerange as cr\ncr(3, MAXFD)\n", 1),
        (
            "from os import (\n    closerange as cr,\n)\ncr(3, MAXFD)\n",
            1,
        ),
        (
            "def _cr(lo, hi):\n    os.closerange(lo, hi)\n_cr(3, MAXFD)\n",
            1,
        ),
        ("def _cr(lo):\n    os.closerange(lo, MAXFD)\n", 1),
        // Admitted though the frontend finds nothing: arguments the shape check does not read.
        ("os.closerange(3, limits[1])\n", 0),
        ("os.closerange(3, n[1, i])\n", 0),
        ("os.closerange(*span)\n", 0),
        ("os.closerange(3, fd_high=MAXFD)\n", 0),
    ] {
        let src = format!("{limit}{body}");
        assert_eq!(closeranges(&src), found, "frontend: {src:?}");
        assert_eq!(
            admit(Lang::Python, src.as_bytes()),
            Admission::Yes,
            "{src:?}"
        );
    }
    for (fixture, ruled_out) in [
        (
            include_str!("../../fixtures/python/prefilter/closerange_look_alikes.py"),
            true,
        ),
        (
            include_str!("../../fixtures/python/prefilter/closerange_spellings.py"),
            false,
        ),
    ] {
        assert_eq!(closeranges(fixture) == 0, ruled_out);
        assert_eq!(
            !parsed_without_context(Lang::Python, fixture.as_bytes()),
            ruled_out
        );
    }
}

/// An fd action imported under another name (`from os import close as _c`) is an action
/// under that name (`loops::action_name`): the alias's calls pass the loop check as the
/// action's own would, checked against the frontend both ways.
#[test]
fn an_fd_action_imported_under_another_name_is_that_action() {
    let limit = "import resource\nn = resource.getrlimit(resource.RLIMIT_NOFILE)[1]\n";
    for (import, call, found) in [
        ("from os import close as _c", "    _c(fd)", true),
        (
            "from os import (write, close as shut)",
            "    shut (fd)",
            true,
        ),
        ("from os import close as _c", "    _c(fd, 1)", true),
        (
            "from os import set_inheritable as inh",
            "    inh(fd, False)",
            true,
        ),
        ("from os import write as _c", "    _c(fd)", false),
        ("from os import close as _c", "    _c(other)", false),
        ("from os import close as _c", "    x._c_(fd)", false),
    ] {
        let src = format!("{limit}{import}\nfor fd in range(3, n):\n{call}\n");
        let codes = codes_without_prefilter(&src);
        assert_eq!(codes.contains(&"FD001"), found, "frontend: {src:?}");
        if found {
            assert_eq!(
                admit(Lang::Python, src.as_bytes()),
                Admission::Yes,
                "{src:?}"
            );
        } else {
            assert!(
                !parsed_without_context(Lang::Python, src.as_bytes()),
                "{src:?}"
            );
        }
    }
    let mapped = format!("{limit}from os import close as _c\nlist(map(_c, range(3, n)))\n");
    assert_eq!(codes_without_prefilter(&mapped), ["FD001"]);
    assert_eq!(admit(Lang::Python, mapped.as_bytes()), Admission::Yes);
}
