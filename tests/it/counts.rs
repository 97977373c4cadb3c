//! Counts that are exact: inclusive ranges visit their end, `while` loops start where their
//! variable does, and Python 2 containers cost Python 2's per-element sizes.

use std::path::Path;

use fdlint::facts::Lang;
use fdlint::settings::Settings;

/// The messages and span labels of the findings of `text`, in order.
fn lint(lang: Lang, text: &str, settings: &Settings) -> Vec<(String, String)> {
    let path = Path::new(if lang == Lang::Ruby { "x.rb" } else { "x.py" });
    fdlint::engine::lint_text(path, lang, text, settings)
        .findings
        .into_iter()
        .map(|f| (f.message, f.span_label))
        .collect()
}

#[test]
fn inclusive_ruby_ranges_count_their_end() {
    let s = Settings::default();
    let close = "{ |fd| IO.for_fd(fd).close rescue nil }";
    for (header, calls, inclusive) in [
        ("3.upto(256)", 254, true),
        ("(3..256).each", 254, true),
        ("(3...256).each", 253, false),
        ("256.downto(3)", 254, true),
        ("3.step(256)", 254, true),
        ("256.times", 256, false),
    ] {
        let found = lint(Lang::Ruby, &format!("{header} {close}\n"), &s);
        assert_eq!(found.len(), 1, "{header}: {found:?}");
        let (message, label) = &found[0];
        assert_eq!(label, &format!("{calls} `close()` calls"), "{header}");
        assert_eq!(
            message.contains("up to and including 256"),
            inclusive,
            "{header}: {message}"
        );
        assert_eq!(
            message.contains("below 256"),
            !inclusive,
            "{header}: {message}"
        );
    }
    // The limit itself: `3.upto(max)` makes one call more than `(3...max).each`.
    let src = "max = Process.getrlimit(Process::RLIMIT_NOFILE)[0]\n\
               3.upto(max) { |fd| IO.for_fd(fd).close rescue nil }\n\
               (3...max).each { |fd| IO.for_fd(fd).close rescue nil }\n";
    let found = lint(Lang::Ruby, src, &s);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(
        found[0].0.contains("up to and including the soft fd limit")
            && found[0].0.contains("1,073,741,814 calls"),
        "{}",
        found[0].0
    );
    assert!(
        !found[1].0.contains("including") && found[1].0.contains("1,073,741,813 calls"),
        "{}",
        found[1].0
    );
}

#[test]
fn while_loops_start_where_the_variable_does() {
    let s = Settings::default();
    let ruby = "maxfd = Process.getrlimit(Process::RLIMIT_NOFILE)[0]\nfd = 3\n\
                while fd < maxfd\n  IO.for_fd(fd).close rescue nil\n  fd += 1\nend\n";
    let python = "import os, resource\nmaxfd = resource.getrlimit(resource.RLIMIT_NOFILE)[1]\n\
                  fd = 3\nwhile fd < maxfd:\n    try:\n        os.close(fd)\n    \
                  except OSError:\n        pass\n    fd += 1\n";
    let range = "import os, resource\nmaxfd = resource.getrlimit(resource.RLIMIT_NOFILE)[1]\n\
                 for fd in range(3, maxfd):\n    os.close(fd)\n";
    for (lang, src) in [
        (Lang::Ruby, ruby),
        (Lang::Python, python),
        (Lang::Python, range),
    ] {
        let found = lint(lang, src, &s);
        assert_eq!(found.len(), 1, "{src}: {found:?}");
        assert!(found[0].0.contains("1,073,741,813 calls"), "{}", found[0].0);
    }
    // `while fd <= maxfd` visits the limit too.
    let src = ruby.replace("fd < maxfd", "fd <= maxfd");
    let found = lint(Lang::Ruby, &src, &s);
    assert!(found[0].0.contains("1,073,741,814 calls"), "{}", found[0].0);
}

#[test]
fn python2_lists_and_sets_cost_python2_sizes() {
    let src = "import resource\nmaxfd = resource.getrlimit(resource.RLIMIT_NOFILE)[1]\n\
               fds = set(range(0, maxfd))\nall_fds = list(range(3, maxfd))\n";
    let py3 = lint(Lang::Python, src, &Settings::default());
    assert_eq!(py3.len(), 2, "{py3:?}");
    assert!(
        py3[0]
            .0
            .contains("67 bytes per element on 64-bit CPython 3"),
        "{}",
        py3[0].0
    );
    assert!(
        py3[1]
            .0
            .contains("40 bytes per element on 64-bit CPython 3"),
        "{}",
        py3[1].0
    );
    let py2 = lint(
        Lang::Python,
        &format!("print 'x'\n{src}"),
        &Settings::default(),
    );
    assert_eq!(py2.len(), 2, "{py2:?}");
    // 56.0 and 33.0 bytes per element, measured on CPython 2.7.18 (docs/FACTS.md §8).
    assert!(
        py2[0].0.contains("56 bytes per element under Python 2") && py2[0].0.contains("~56.0 GiB"),
        "{}",
        py2[0].0
    );
    assert!(
        py2[1].0.contains("33 bytes per element under Python 2") && py2[1].0.contains("~33.0 GiB"),
        "{}",
        py2[1].0
    );
}
