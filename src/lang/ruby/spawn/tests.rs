use crate::facts::{FdOption, SpawnApi, SpawnCall};
use crate::lang::FrontendOptions;
use crate::lang::ruby::extract;

fn spawns(src: &str) -> Vec<SpawnCall> {
    extract(src, &FrontendOptions::default())
        .expect("extract")
        .spawns
}

fn one(src: &str) -> SpawnCall {
    let s = spawns(src);
    assert_eq!(s.len(), 1, "{src}: {s:#?}");
    s.into_iter().next().unwrap()
}

fn at(src: &str, span: crate::facts::Span) -> &str {
    &src[span.start..span.end]
}

/// The option's kind and literal value, with the text its span covers.
fn opt(src: &str) -> (String, Option<bool>, String) {
    match one(src).close_option {
        FdOption::Absent => ("absent".into(), None, String::new()),
        FdOption::Literal { value, span } => ("literal".into(), Some(value), at(src, span).into()),
        FdOption::Unknown { span } => ("unknown".into(), None, at(src, span).into()),
    }
}

fn script(src: &str) -> (Option<String>, Option<(String, bool)>) {
    let s = one(src);
    (
        s.interpreter,
        s.script.map(|r| (r.path, r.relative_to_file)),
    )
}

#[test]
fn apis_and_callees() {
    for (src, api, callee) in [
        ("Open3.popen3(cmd)", SpawnApi::RubyOpen3, "Open3.popen3"),
        ("Open3.popen2(cmd)", SpawnApi::RubyOpen3, "Open3.popen2"),
        ("Open3.popen2e(cmd)", SpawnApi::RubyOpen3, "Open3.popen2e"),
        (
            "out, st = Open3.capture2(cmd)",
            SpawnApi::RubyOpen3,
            "Open3.capture2",
        ),
        (
            "Open3.capture2e(cmd)",
            SpawnApi::RubyOpen3,
            "Open3.capture2e",
        ),
        ("Open3.capture3(cmd)", SpawnApi::RubyOpen3, "Open3.capture3"),
        (
            "Open3.pipeline(a, b)",
            SpawnApi::RubyOpen3,
            "Open3.pipeline",
        ),
        (
            "Open3.pipeline_r(a, b)",
            SpawnApi::RubyOpen3,
            "Open3.pipeline_r",
        ),
        (
            "Open3.pipeline_w(a)",
            SpawnApi::RubyOpen3,
            "Open3.pipeline_w",
        ),
        (
            "Open3.pipeline_rw(a)",
            SpawnApi::RubyOpen3,
            "Open3.pipeline_rw",
        ),
        (
            "Open3.pipeline_start(a)",
            SpawnApi::RubyOpen3,
            "Open3.pipeline_start",
        ),
        ("::Open3.popen3(cmd)", SpawnApi::RubyOpen3, "::Open3.popen3"),
        ("IO.popen(cmd)", SpawnApi::RubyIoPopen, "IO.popen"),
        ("Process.spawn(cmd)", SpawnApi::RubySpawn, "Process.spawn"),
        (
            "::Process.spawn(cmd)",
            SpawnApi::RubySpawn,
            "::Process.spawn",
        ),
        ("Kernel.spawn(cmd)", SpawnApi::RubySpawn, "Kernel.spawn"),
        ("pid = spawn(cmd)", SpawnApi::RubySpawn, "spawn"),
        ("system(cmd)", SpawnApi::RubySystem, "system"),
        ("system \"ls\", \"-l\"", SpawnApi::RubySystem, "system"),
        ("Kernel.system(cmd)", SpawnApi::RubySystem, "Kernel.system"),
        ("exec(cmd)", SpawnApi::RubyExec, "exec"),
        ("Kernel.exec(cmd)", SpawnApi::RubyExec, "Kernel.exec"),
        ("Process.exec(cmd)", SpawnApi::RubyExec, "Process.exec"),
    ] {
        let s = one(src);
        assert_eq!((s.api, s.callee.as_str()), (api, callee), "{src}");
    }
}

#[test]
fn span_leaves_out_the_block() {
    let src = "Open3.popen3(\"python2\", helper) do |i, o, e, t|\n  o.read\nend\n";
    assert_eq!(at(src, one(src).span), "Open3.popen3(\"python2\", helper)");
    let src = "x = Open3.popen2e(cmd) { |i, o, t| o.read }";
    assert_eq!(at(src, one(src).span), "Open3.popen2e(cmd)");
    let src = "system \"ls\", \"-l\"\n";
    assert_eq!(at(src, one(src).span), "system \"ls\", \"-l\"");
}

#[test]
fn negatives() {
    for src in [
        "`ls -l`",
        "%x(ls -l)",
        "out = %x{python2 helper.py}",
        "thing.spawn(1)",
        "obj.system",
        "worker.exec(\"x\")",
        "Open3.foo(cmd)",
        "Foo::Open3.popen3(cmd)",
        "Process.wait(pid)",
        "IO.pipe",
        "def spawn(x); end\nspawn(1)",
        "class Pool\n  def self.system(c) = c\n  def run\n    system(\"ls\")\n  end\nend",
        "s = \"system('ls')\"",
        "# system('ls')",
    ] {
        assert!(spawns(src).is_empty(), "{src}: {:#?}", spawns(src));
    }
    // Only the bare name a file defines is its own: `Kernel.spawn` still spawns.
    assert_eq!(
        one("def spawn(x); end\nKernel.spawn(cmd)").api,
        SpawnApi::RubySpawn
    );
}

#[test]
fn close_others_spellings() {
    let t = |v: bool| Some(v);
    for (src, value, pair) in [
        (
            "spawn(cmd, close_others: true)",
            t(true),
            "close_others: true",
        ),
        (
            "spawn(cmd, :close_others => true)",
            t(true),
            ":close_others => true",
        ),
        (
            "spawn(cmd, \"close_others\": false)",
            t(false),
            "\"close_others\": false",
        ),
        (
            "spawn(cmd, :\"close_others\" => true)",
            t(true),
            ":\"close_others\" => true",
        ),
        (
            "spawn(cmd, {close_others: true})",
            t(true),
            "close_others: true",
        ),
        (
            "spawn(cmd, { :close_others => false, chdir: \"/\" })",
            t(false),
            ":close_others => false",
        ),
        (
            "system \"ls\", \"-l\", close_others: true",
            t(true),
            "close_others: true",
        ),
        (
            "Process.spawn(\"x\", chdir: \"/\", out: \"/dev/null\", close_others: true)",
            t(true),
            "close_others: true",
        ),
        (
            "Open3.popen3(\"x\", close_others: true) do |i, o, e, t|\nend",
            t(true),
            "close_others: true",
        ),
        (
            "IO.popen([\"x\"], \"r+\", close_others: false) { |io| io.read }",
            t(false),
            "close_others: false",
        ),
        (
            "IO.popen([\"x\"], \"r+\", {close_others: true})",
            t(true),
            "close_others: true",
        ),
        (
            "exec({\"A\" => \"1\"}, \"x\", close_others: true)",
            t(true),
            "close_others: true",
        ),
    ] {
        assert_eq!(opt(src), ("literal".into(), value, pair.into()), "{src}");
    }
}

#[test]
fn absent_options() {
    for src in [
        "spawn(cmd)",
        "system(\"ls\", \"-l\")",
        "spawn(cmd, chdir: \"/\", err: [:child, :out])",
        "system(\"make\", exception: true)",
        "IO.popen(cmd, \"r+\")",
        "spawn({\"close_others\" => \"1\"}, cmd)",
        "def run(cmd, dir)\n  system(\"git\", \"-C\", dir, cmd)\nend",
        "def close_others; end\nspawn(cmd)",
        "x.close_others\nspawn(cmd)",
        "close_others = true\nspawn(cmd)",
    ] {
        assert_eq!(opt(src).0, "absent", "{src}");
    }
}

#[test]
fn options_in_a_local_hash() {
    let src =
        "def run(cmd)\n  opts = { close_others: true, chdir: \"/\" }\n  spawn(cmd, opts)\nend";
    assert_eq!(
        opt(src),
        ("literal".into(), Some(true), "close_others: true".into())
    );
    let src = "opts = { chdir: \"/\" }\nspawn(cmd, **opts)";
    assert_eq!(opt(src).0, "absent");
    let src = "base = { chdir: \"/\" }\nspawn(cmd, base.merge(close_others: true))";
    assert_eq!(
        opt(src),
        ("literal".into(), Some(true), "close_others: true".into())
    );
    let src = "SPAWN_OPTS = { close_others: true }.freeze\nsystem(\"ls\", SPAWN_OPTS)";
    assert_eq!(opt(src).1, Some(true));
    // A later key overrides an earlier one.
    let src = "spawn(cmd, close_others: false, **{close_others: true})";
    assert_eq!(opt(src).1, Some(true));
}

#[test]
fn options_built_elsewhere_are_unknown() {
    for (src, arg) in [
        ("def run(cmd, opts)\n  spawn(cmd, opts)\nend", "opts"),
        (
            "def run(cmd, **opts)\n  Open3.capture2(cmd, **opts)\nend",
            "**opts",
        ),
        ("spawn(cmd, spawn_options)", "spawn_options"),
        ("spawn(cmd, build_opts(x))", "build_opts(x)"),
        ("spawn(cmd, @opts)", "@opts"),
        ("spawn(cmd, opts.merge(chdir: d))", "opts"),
        (
            "def run(c, o)\n  o[:chdir] = \"/\"\n  system(c, o)\nend",
            "o",
        ),
        ("def run(argv)\n  Kernel.exec(*argv)\nend", "*argv"),
        (
            "def run(cmd, rest)\n  spawn(*[cmd, *rest])\nend",
            "*[cmd, *rest]",
        ),
        (
            "opts = {}\nopts[:close_others] = true if x\nspawn(cmd, opts)",
            "opts[:close_others] = true",
        ),
        (
            "args = [cmd]\nargs << {close_others: true} if x\nspawn(*args)",
            "*args",
        ),
        ("opts = {}\nopts.clear\nspawn(cmd, opts)", "opts.clear"),
        (
            "def spawn_options(c)\n  c ? { close_others: true } : {}\nend\nspawn(cmd, **spawn_options(1))",
            "**spawn_options(1)",
        ),
        (
            "def spawn_options(c)\n  return {} if c\n  { close_others: true }\nend\nspawn(cmd, spawn_options(1))",
            "spawn_options(1)",
        ),
        ("spawn(cmd, close_others: true, **extra)", "**extra"),
        (
            "opts = x ? { close_others: true } : {}\nspawn(cmd, opts)",
            "opts",
        ),
        ("spawn(cmd, close_others: flag)", "close_others: flag"),
        (
            "spawn(cmd, close_others: ENV.key?(\"X\"))",
            "close_others: ENV.key?(\"X\")",
        ),
    ] {
        assert_eq!(opt(src), ("unknown".into(), None, arg.into()), "{src}");
    }
    // Deeply chained names and self-reference do not crash.
    let src = "a = b\nb = a\nspawn(cmd, a)";
    let _ = spawns(src);
    let src = "o = o.merge(close_others: true)\nspawn(cmd, o)";
    let _ = spawns(src);
}

/// `(kind, literal value)` of the option at the last spawn call of `src`.
fn last_opt(src: &str) -> (String, Option<bool>) {
    match spawns(src).last().expect("a spawn call").close_option {
        FdOption::Absent => ("absent".into(), None),
        FdOption::Literal { value, .. } => ("literal".into(), Some(value)),
        FdOption::Unknown { .. } => ("unknown".into(), None),
    }
}

#[test]
fn options_appended_to_a_splatted_array() {
    let t = |src: &str| last_opt(src);
    let yes = ("literal".to_string(), Some(true));
    let absent = ("absent".to_string(), None);
    assert_eq!(
        t("args = [cmd, \"-x\"]\nargs << {close_others: true}\nProcess.spawn(*args)"),
        yes
    );
    assert_eq!(
        t("args = [cmd]\nargs << \"-x\" << {close_others: true}\nspawn(*args)"),
        yes
    );
    assert_eq!(
        t("args = [cmd]\nargs.push(close_others: true)\nspawn(*args)"),
        yes
    );
    assert_eq!(
        t("args = [cmd]\nargs.push({close_others: true})\nspawn(*args)"),
        yes
    );
    assert_eq!(
        t("args = [cmd]\nargs += [{close_others: true}]\nspawn(*args)"),
        yes
    );
    assert_eq!(
        t("args = [cmd]\nargs.concat([\"-x\", {close_others: true}])\nspawn(*args)"),
        yes
    );
    assert_eq!(
        t("def r(cmd, rest)\n  spawn(*[cmd, *rest, {close_others: true}])\nend"),
        yes
    );
    assert_eq!(
        t(
            "def r(cmd, rest)\n  a = [cmd, *rest, {close_others: true}]\n  a.unshift(\"nice\")\n  spawn(*a)\nend"
        ),
        yes
    );
    // Arrays of strings only cannot carry options: `ARGV`, `split` results.
    assert_eq!(t("exec(env, cmd, *ARGV)"), absent);
    assert_eq!(t("exec(cmd, *ARGV[1..-1])"), absent);
    assert_eq!(t("system(*editor.split(/\\s+/) + [path])"), absent);
    assert_eq!(t("system(*Shellwords.split(line))"), absent);
    // An array grown from unknown parts, then given its options.
    assert_eq!(
        t("cmd = [CTX[0]].concat(CTX[:argv])\ncmd << {close_others: true}\nexec(*cmd)"),
        yes
    );
    assert_eq!(
        t("cmd = [CTX[0]].concat(CTX[:argv])\nfds = {3 => io}\ncmd << fds\nexec(*cmd)"),
        absent
    );
    assert_eq!(
        t("cmd = [CTX[0]].concat(CTX[:argv])\nexec(*cmd)"),
        ("unknown".into(), None)
    );
    // What follows an unknown part is still known.
    assert_eq!(
        t(
            "def r(command, uri, name)\n  command = command.to_ary + [uri, name]\n  spawn(*command)\nend"
        ),
        absent
    );
    assert_eq!(
        t("def r(base)\n  spawn(*(base + [{close_others: true}]))\nend"),
        yes
    );
    assert_eq!(
        t("def r(a, b)\n  spawn(*(a + b))\nend"),
        ("unknown".into(), None)
    );
    // Assigned and read in the same block (the re-exec shape of preforking servers).
    assert_eq!(
        t(
            "def fds\n  h = {}\n  L.each { |s| h[s.fileno] = s }\n  h\nend\n\
           fork do\n  f = fds\n  cmd = [CTX[0]].concat(CTX[:argv])\n  cmd << f\n  exec(*cmd)\nend"
        ),
        absent
    );
    assert_eq!(
        t("fork do\n  cmd = [CTX[0]]\n  cmd << {close_others: true}\n  exec(*cmd)\nend"),
        yes
    );
    // A block that may not run before the read keeps its assignment conditional.
    assert_eq!(
        t("args = [cmd]\nx.each { args = [cmd, {chdir: d}] }\nspawn(*args)"),
        ("unknown".into(), None)
    );
    // The look-alikes: the appended hash lacks the key, or the array holds no hash.
    assert_eq!(
        t("args = [cmd]\nargs << {chdir: \"/\"}\nspawn(*args)"),
        absent
    );
    assert_eq!(t("system(*%w[git status])"), absent);
    assert_eq!(
        t("args = [cmd, {close_others: false}]\nspawn(*args)"),
        ("literal".into(), Some(false))
    );
}

#[test]
fn splatted_arrays_grown_on_some_paths() {
    let t = |src: &str| last_opt(src);
    let absent = ("absent".to_string(), None);
    let unknown = ("unknown".to_string(), None);
    // Every element that can end the array is visibly no hash: nothing can carry options.
    for src in [
        "cmd = [\"git\", \"gc\"]\ncmd << \"--quiet\" if q\nsystem(*cmd)",
        "cmd = %w[bundle exec srb tc]\ncmd << \"--quiet\" if q\nsystem(*cmd)",
        "a = []\na += [\"--config\", conf] if conf\na += [\"--log\", \"x\"]\nexec(r, l, *a)",
        // A flag's value, on a path that may be skipped.
        "a = [\"x\"]\na += [\"--config\", conf] if conf\nexec(r, l, *a)",
        "c = [exe, \"run\"]\nc << \"--user\" << @o[:user] unless @o[:user].nil?\nsystem(*c)",
        "c = [exe]\nc << \"--pid\" << @e.pid.to_s if n\nsystem(*c)",
        "c = [exe]\nc << \"v#{n}\" if n\nc << :sym if m\nc.push(3) if k\nsystem(*c)",
        "c = [exe]\nif x\n  c << (p.abs? ? p.to_path : \"../#{p}\")\nend\nsystem(*c)",
        "c = [exe]\nif x\n  c << if p.abs? then p.to_path else \"../#{p}\" end\nend\nsystem(*c)",
        "c = [exe]\ndirs.each { |d| c += [\"--dir\", d.to_s] }\nsystem(*c)",
        "c = [exe]\nflag = \"-v\"\nc << flag if v\nsystem(*c)",
        "c = [exe]\nc << File.join(dir, \"x\") if v\nsystem(*c)",
        "c = [exe]\nc += %w[-a -b] if v\nsystem(*c)",
        // Nested branches: each group may be missing.
        "a = [\"x\"]\nif l\n  a += [\"--dir\", D.dir]\n  if e\n    a += [\"--config\", D.f]\n  end\nend\nexec(r, *a)",
        // An array that may stay empty ends with the argument before the splat.
        "a = []\na << \"-v\" if v\nexec(env, \"ls\", *a)",
        "a = []\na << \"-v\" if v\nexec(\"ls\", *a)",
        // Whatever unknown parts hold, a string surely comes after them.
        "def r(more)\n  c = [exe]\n  c.concat(more) if more\n  c << \"-v\"\n  system(*c)\nend",
        // Strings that cannot be read (`*ARGV`) after the known part.
        "a = [\"x\"]\na += ARGV if v\nexec(*a)",
    ] {
        assert_eq!(t(src), absent, "{src}");
    }
    // What is added on some path could be an options hash: not known.
    for src in [
        "c = [exe]\nc << opts if o\nsystem(*c)",
        "def r(extra)\n  c = [exe]\n  c << extra if extra\n  system(*c)\nend",
        "c = [exe]\nc << build_opts(x) if o\nsystem(*c)",
        "c = [exe]\nc << {close_others: true} if o\nsystem(*c)",
        "c = [exe]\nc << {chdir: d} if d\nsystem(*c)",
        "def r(more)\n  c = [exe]\n  c += more if more\n  system(*c)\nend",
        "c = [exe]\nc << (x ? {close_others: true} : \"-v\") if o\nsystem(*c)",
        "c = [exe]\nc << if x then h else \"-v\" end if o\nsystem(*c)",
        // The array is the caller's: whatever is added, its end cannot be seen.
        "def r(argv)\n  args = argv.dup\n  args << \"-v\" if v\n  exec(*args)\nend",
        // A hash surely there, then strings on some path: the hash is last on one path only.
        "c = [exe, {close_others: true}]\nc << \"-v\" if v\nsystem(*c)",
        // An array that may stay empty: the hash before the splat is last on that path.
        "h = {close_others: true}\na = []\na << \"-v\" if v\nexec(\"ls\", h, *a)",
    ] {
        assert_eq!(t(src), unknown, "{src}");
    }
    // A hash surely last still gives the options, whatever may come before it.
    assert_eq!(
        t("c = [exe]\nc << \"-v\" if v\nc << {close_others: true}\nsystem(*c)"),
        ("literal".into(), Some(true))
    );
    assert_eq!(
        t("c = [exe]\nc << \"-v\" if v\nc << {chdir: \"/\"}\nsystem(*c)"),
        absent
    );
}

/// `spawn(env, *argv, opts)`: the last argument is the options, as in Ruby; a splat before it
/// cannot put anything after it.
#[test]
fn a_trailing_hash_after_a_splat_is_the_options() {
    let t = |src: &str| last_opt(src);
    assert_eq!(
        t("def r(env, argv)\n  spawn(env, *argv, close_others: true)\nend"),
        ("literal".into(), Some(true))
    );
    assert_eq!(
        t("def r(env, argv)\n  spawn(env, *argv, {close_others: true})\nend"),
        ("literal".into(), Some(true))
    );
    assert_eq!(
        t(
            "def r(env, cmd)\n  ::Process.spawn(env, *Shellwords.shellwords(cmd), {chdir: \"/\"})\nend"
        ),
        ("absent".into(), None)
    );
    assert_eq!(
        t("def r(env, argv, opts)\n  spawn(env, *argv, opts)\nend"),
        ("unknown".into(), None)
    );
}

#[test]
fn options_built_key_by_key() {
    let t = |src: &str| last_opt(src);
    let yes = ("literal".to_string(), Some(true));
    let absent = ("absent".to_string(), None);
    assert_eq!(
        t("opts = {}\nopts[:close_others] = true\nspawn(cmd, opts)"),
        yes
    );
    assert_eq!(
        t("opts = {chdir: d}\nopts.merge!(close_others: true)\nspawn(cmd, **opts)"),
        yes
    );
    assert_eq!(
        t("opts = {}\nopts.update({close_others: true})\nspawn(cmd, opts)"),
        yes
    );
    assert_eq!(
        t("opts = {}\nopts.store(:close_others, true)\nspawn(cmd, opts)"),
        yes
    );
    // Other keys set on some path leave `close_others` as it was.
    assert_eq!(
        t("opts = {close_others: true}\nopts[:chdir] = d if d\nspawn(cmd, opts)"),
        yes
    );
    assert_eq!(
        t("opts = {}\nopts[:chdir] = d if d\nopts.delete(:pgroup)\nspawn(cmd, opts)"),
        absent
    );
    assert_eq!(
        t("opts = {close_others: true}\nopts[:close_others] = false\nspawn(cmd, opts)"),
        ("literal".into(), Some(false))
    );
    assert_eq!(
        t("opts = {close_others: true}\nopts.delete(:close_others)\nspawn(cmd, opts)"),
        ("unknown".into(), None)
    );
    // `false` on a path that may be skipped, absent or `false` on the other: the fds leak
    // either way.
    assert_eq!(
        t("opts = {chdir: d}\nopts[:close_others] = false if keep\nspawn(cmd, opts)"),
        absent
    );
    assert_eq!(
        t("opts = {close_others: false}\nopts[:close_others] = false if keep\nspawn(cmd, opts)"),
        ("literal".into(), Some(false))
    );
    assert_eq!(
        t("opts = {}\nopts.merge!(close_others: false, pgroup: true) if k\nspawn(cmd, opts)"),
        absent
    );
    // A possible `true` on one path is not known.
    assert_eq!(
        t("opts = {close_others: false}\nopts[:close_others] = true if iso\nspawn(cmd, opts)"),
        ("unknown".into(), None)
    );
    assert_eq!(
        t("opts = {close_others: true}\nopts[:close_others] = false if keep\nspawn(cmd, opts)"),
        ("unknown".into(), None)
    );
    assert_eq!(
        t("opts = {}\nopts[:close_others] = v if keep\nspawn(cmd, opts)"),
        ("unknown".into(), None)
    );
    // Changes after the call do not count.
    assert_eq!(
        t("opts = {}\nspawn(cmd, opts)\nopts[:close_others] = true"),
        absent
    );
}

#[test]
fn options_returned_by_a_helper() {
    let t = |src: &str| last_opt(src);
    let yes = ("literal".to_string(), Some(true));
    let absent = ("absent".to_string(), None);
    let def = "def spawn_options(cfg)\n  { close_others: true, chdir: cfg.dir }\nend\n";
    assert_eq!(
        t(&format!("{def}Process.spawn(cmd, **spawn_options(cfg))")),
        yes
    );
    assert_eq!(t(&format!("{def}spawn(cmd, spawn_options(cfg))")), yes);
    assert_eq!(t(&format!("{def}spawn(cmd, self.spawn_options(cfg))")), yes);
    let def = "def spawn_options\n  o = {chdir: \"/\"}\n  o[:close_others] = true\n  o\nend\n";
    assert_eq!(t(&format!("{def}spawn(cmd, spawn_options)")), yes);
    let def = "def popen_opts(v)\n  if v\n    {close_others: true, err: :out}\n  else\n    {close_others: true}\n  end\nend\n";
    assert_eq!(t(&format!("{def}IO.popen(cmd, popen_opts(1))")), yes);
    let def = "def with_defaults(o)\n  o.merge(close_others: true)\nend\n";
    assert_eq!(t(&format!("{def}spawn(cmd, with_defaults(x))")), yes);
    // The look-alike: a helper whose hash lacks the key.
    let def = "def spawn_options\n  { chdir: \"/\" }\nend\n";
    assert_eq!(t(&format!("{def}spawn(cmd, spawn_options)")), absent);
    // Absent on one path, `false` on another: the fds leak either way.
    let def = "def spawn_options(cfg)\n  o = {pgroup: true, chdir: cfg[:dir] || \"/\"}\n  o[:out] = [cfg[:log], \"a\"] if cfg[:log]\n  o[:close_others] = false if cfg[:keep]\n  o\nend\n";
    assert_eq!(
        t(&format!(
            "{def}::Process.spawn(env(cfg), *Shellwords.shellwords(cmd), spawn_options(cfg))"
        )),
        absent
    );
    let def = "def spawn_options(k)\n  if k\n    {close_others: false}\n  else\n    {pgroup: true}\n  end\nend\n";
    assert_eq!(t(&format!("{def}spawn(cmd, spawn_options(1))")), absent);
    let def = "def spawn_options(k)\n  return {close_others: false} if k\n  {close_others: false, pgroup: true}\nend\n";
    assert_eq!(
        t(&format!("{def}spawn(cmd, spawn_options(1))")),
        ("literal".into(), Some(false))
    );
    // `true` on one path: not known.
    let def = "def spawn_options(k)\n  if k\n    {close_others: true}\n  else\n    {pgroup: true}\n  end\nend\n";
    assert_eq!(
        t(&format!("{def}spawn(cmd, spawn_options(1))")),
        ("unknown".into(), None)
    );
    let def = "def spawn_options(k)\n  o = {}\n  o[:close_others] = true if k\n  o\nend\n";
    assert_eq!(
        t(&format!("{def}spawn(cmd, spawn_options(1))")),
        ("unknown".into(), None)
    );
    // A helper returning something else is a command word, as before.
    let def = "def target\n  \"x.rb\"\nend\n";
    assert_eq!(t(&format!("{def}system(\"ruby\", target)")), absent);
}

#[test]
fn passes_fds() {
    for (src, pair) in [
        ("spawn(cmd, 3 => w)", Some("3 => w")),
        ("spawn(cmd, w => w, close_others: true)", Some("w => w")),
        ("spawn(cmd, @sock => @sock)", Some("@sock => @sock")),
        ("spawn(cmd, [3, 4] => w)", Some("[3, 4] => w")),
        ("opts = { 5 => log }\nspawn(cmd, opts)", Some("5 => log")),
        ("spawn(cmd, :out => w, :err => [:child, :out])", None),
        ("spawn(cmd, 1 => w, 2 => w)", None),
        ("spawn(cmd, 3 => :close)", None),
        ("spawn(cmd, in: r)", None),
    ] {
        let s = one(src);
        assert_eq!(s.passes_fds.map(|sp| at(src, sp)), pair, "{src}");
    }
}

#[test]
fn interpreter_and_script() {
    let p = |s: &str| Some(s.to_string());
    let rel = |s: &str| Some((s.to_string(), true));
    let abs = |s: &str| Some((s.to_string(), false));
    for (src, interp, want) in [
        (
            "spawn(\"python2\", \"helper.py\")",
            p("python2"),
            abs("helper.py"),
        ),
        (
            "IO.popen([\"python2\", \"helper.py\"])",
            p("python2"),
            abs("helper.py"),
        ),
        (
            "IO.popen(%w[python2 ./helper.py], \"r+\")",
            p("python2"),
            abs("helper.py"),
        ),
        (
            "spawn([\"python2\", \"argv0\"], \"x.py\")",
            p("python2"),
            abs("x.py"),
        ),
        (
            "IO.popen([[\"python2\", \"argv0\"], \"x.py\"])",
            p("python2"),
            abs("x.py"),
        ),
        (
            "system(\"python2 /opt/app/helper.py --x\")",
            p("python2"),
            abs("/opt/app/helper.py"),
        ),
        (
            "system(\"/usr/bin/python2.7 -u tool.py\")",
            p("python2.7"),
            abs("tool.py"),
        ),
        (
            "spawn(\"/usr/bin/env\", \"python2\", \"x.py\")",
            p("python2"),
            abs("x.py"),
        ),
        (
            "system(\"FOO=1 env python3 x.py\")",
            p("python3"),
            abs("x.py"),
        ),
        ("system(\"python2 -m http.server\")", p("python2"), None),
        ("system(\"ls -l\")", None, None),
        ("system(\"bin/setup\")", None, abs("bin/setup")),
        ("system(\"./run.sh\")", None, abs("run.sh")),
        (
            "spawn(\"pypy\", File.join(__dir__, \"helper.py\"))",
            p("pypy"),
            rel("helper.py"),
        ),
        ("spawn(RbConfig.ruby, \"x.rb\")", p("ruby"), abs("x.rb")),
        (
            "Open3.popen3(\"python2\", File.join(File.dirname(__FILE__), \"mentos.py\"))",
            p("python2"),
            rel("mentos.py"),
        ),
        (
            "Open3.popen3(\"python2\", File.expand_path(\"../helpers/mentos.py\", __FILE__))",
            p("python2"),
            rel("helpers/mentos.py"),
        ),
        (
            "Open3.popen3(\"python2\", File.expand_path(\"../helpers/mentos.py\", __dir__))",
            p("python2"),
            rel("../helpers/mentos.py"),
        ),
        (
            "Open3.popen3(\"python2\", File.expand_path(\"x.py\", __dir__))",
            p("python2"),
            rel("x.py"),
        ),
        (
            "Open3.popen3(\"python2\", File.join(__dir__, \"..\", \"helpers\", \"mentos.py\"))",
            p("python2"),
            rel("../helpers/mentos.py"),
        ),
        (
            "Open3.popen3(\"python2\", File.join(__dir__, \"a\", \"..\", \"b.py\"))",
            p("python2"),
            rel("b.py"),
        ),
        (
            "system(\"python2 #{__dir__}/x.py --y\")",
            p("python2"),
            rel("x.py"),
        ),
        ("system(\"#{__dir__}/bin/helper\")", None, rel("bin/helper")),
        (
            "MENTOS = File.join(__dir__, \"mentos.py\")\ncmd = [\"python2\", MENTOS]\nOpen3.popen3(*cmd)",
            p("python2"),
            rel("mentos.py"),
        ),
        (
            "MENTOS = File.join(__dir__, \"mentos.py\")\ndef go\n  cmd = [\"python2\", MENTOS]\n  Open3.popen3(cmd)\nend",
            p("python2"),
            rel("mentos.py"),
        ),
        (
            "HELPER = Pathname(__dir__).join(\"h\", \"x.py\").to_s\nspawn(\"python2\", HELPER)",
            p("python2"),
            rel("h/x.py"),
        ),
        (
            "spawn({\"PYTHONPATH\" => \"lib\"}, \"python2\", \"x.py\", close_others: true)",
            p("python2"),
            abs("x.py"),
        ),
        (
            "spawn(env, \"python2\", \"x.py\")",
            p("python2"),
            abs("x.py"),
        ),
        (
            "Open3.pipeline([\"python2\", \"a.py\"], [\"sort\"])",
            p("python2"),
            abs("a.py"),
        ),
        ("spawn(\"python2\", script)", p("python2"), None),
        ("spawn(\"python2\", *args)", p("python2"), None),
        ("spawn(cmd)", None, None),
        (
            "spawn(\"python2\", File.expand_path(\"x\", __FILE__))",
            p("python2"),
            None,
        ),
    ] {
        assert_eq!(script(src), (interp, want), "{src}");
    }
}

#[test]
fn script_span_names_the_expression() {
    let src = "Open3.popen3(\"python2\", File.join(__dir__, \"helpers\", \"highlight.py\"))";
    let s = one(src).script.expect("script");
    assert_eq!(
        at(src, s.span),
        "File.join(__dir__, \"helpers\", \"highlight.py\")"
    );
    assert_eq!(s.path, "helpers/highlight.py");
    let src = "system(\"python2 /opt/h.py\")";
    assert_eq!(
        at(src, one(src).script.unwrap().span),
        "\"python2 /opt/h.py\""
    );
}

#[test]
fn broken_and_odd_input_does_not_crash() {
    for src in [
        "spawn(",
        "Open3.popen3(\"python2\", File.join(__dir__, ",
        "system(*)",
        "spawn(cmd, **)",
        "IO.popen()",
        "spawn(\"\\u0001x.py\")",
        "x = File.join(__dir__, x)\nspawn(\"python2\", x)",
    ] {
        let _ = spawns(src);
    }
}

#[test]
fn cyclic_constants_stay_cheap() {
    let src = "A = File.join(B, B, B, B, B, B)\nB = File.join(A, A, A, A, A, A)\nspawn(\"python2\", A, A)\nC = { **D, **D, **D }\nD = { **C, **C, **C }\nspawn(\"x\", C)\n";
    let mut src = src.to_string();
    src.push_str("P0 = \"x\"\n");
    for i in 1..12 {
        let p = format!("P{}", i - 1);
        src.push_str(&format!("P{i} = File.join({p}, {p}, {p}, {p}, {p}, {p})\n"));
    }
    src.push_str("system(\"python2\", P11)\n");
    let start = std::time::Instant::now();
    assert_eq!(spawns(&src).len(), 3);
    assert!(start.elapsed() < std::time::Duration::from_secs(2));
}

/// `exec` never returns: a call whose arguments surely run it first starts no child. Shell
/// text parsed as Ruby (`exec bundle exec --flag x`) gives one spawn, not two on one line.
#[test]
fn a_call_that_runs_exec_first_is_no_spawn() {
    let callees =
        |src: &str| -> Vec<String> { spawns(src).into_iter().map(|s| s.callee).collect() };
    assert_eq!(
        callees("exec bundle exec --keep-file-descriptors einhorn \"$@\"\n"),
        ["exec"]
    );
    assert_eq!(
        spawns("exec bundle exec --keep-file-descriptors einhorn \"$@\"\n")[0]
            .span
            .start,
        12
    );
    assert_eq!(
        callees("exec \"bundle\", \"exec\", \"einhorn\", *ARGV"),
        ["exec"]
    );
    assert_eq!(callees("system(Kernel.exec(cmd))"), ["Kernel.exec"]);
    assert_eq!(callees("spawn(x, ::Process.exec(cmd))"), ["::Process.exec"]);
    // Both run, or the inner one may not run first.
    assert_eq!(callees("system(system(a) ? b : c)").len(), 2);
    assert_eq!(callees("system(a || exec(b))").len(), 2);
    assert_eq!(callees("system(x.map { |c| exec(c) })").len(), 2);
    assert_eq!(callees("system(if a then exec(b) end)").len(), 2);
    // `conn.exec(sql)` is no `exec`; a file's own `exec` may return.
    assert_eq!(callees("system(conn.exec(sql))"), ["system"]);
    assert_eq!(
        callees("def exec(c)\n  c\nend\nKernel.exec(exec(\"ls\"))"),
        ["Kernel.exec"]
    );
}
