#!/usr/bin/env python3
"""Probe the Python prefilter on broken code: write N loop snippets with random junk inserted
(brackets, clause lines, tabs, continuations, Python 2 syntax, ...) to a temporary directory,
lint it with and without the prefilter, and list the findings the prefilter loses. On valid
Python the two must agree (the fixture harness and the fuzzers check that); on text Python
rejects, tree-sitter's error recovery can read a loop where no byte-level check sees one.

    scripts/broken-loops.py [FDLINT] [N] [SEED] [--all]   # default: target/release/fdlint 4000 7

Exit status 1 when a finding is lost. Not run by CI: it measures, it does not gate.
"""
import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path

BODIES = [
    "for fd in range(3, MAXFD):\n{i}if free(fd):\n{i}{i}break\nos.close(fd)\n",
    "def f():\n{i}for fd in range(3, MAXFD):\n{i}{i}pass\n{i}os.close(fd)\n",
    "def f():\n{i}for fd in range(3, MAXFD):\n{i}{i}x = 1\n{i}{i}os.close(fd)\n",
    "for fd in range(3, MAXFD):\n{i}for x in y:\n{i}{i}pass\n{i}else:\n{i}{i}break\n{i}os.close(fd)\n",
    "for fd in range(3, MAXFD):\n{i}try:\n{i}{i}x = 1\n{i}except OSError:\n{i}{i}return\n{i}os.close(fd)\n",
    "class C:\n{i}def m(self):\n{i}{i}for fd in range(3, MAXFD):\n{i}{i}{i}while x:\n{i}{i}{i}{i}break\n{i}{i}{i}os.close(fd)\n",
    "def shut(fd):\n{i}os.close(fd)\nfor n in range(3, MAXFD):\n{i}pass\nshut(n)\n",
    "for fd in range(0, 256):\n{i}os.close(fd)\nfor fd in range(0, 1000):\n{i}os.fstat(fd)\n",
    "fd = 3\nwhile fd < MAXFD:\n{i}fd += 1\n{i}if fd: return\n{i}os.close(fd)\n",
    "x = [os.close(fd)\n{i}for fd in range(3, MAXFD)]\n",
    "s = '''\ntext\n'''\nfor fd in range(3, MAXFD):\n{i}x = (\n1)\nos.close(fd)\n",
]
JUNK = ["(", ")", "[", "]", "{", "}", ":", "else:", "elif x:", "\n", "\n    ", "\n\t",
        "\\\n", "'", '"', "'''", "#", "break", "return", "continue", "\t", "    ",
        "print >>f, x", "`x`", "<>", "lambda:", "if x:", "try:", "except:", "finally:",
        "\x0c", ";", "pass", "async ", "def g():", "class C:", "@d\n", "0777", "u'x'",
        "f'{", "}'", "\r", "\r\n", "with x:", "for y in z:", "while y:"]
HEAD = "import os\nMAXFD = os.sysconf('SC_OPEN_MAX')\n"


def findings(fdlint, d, *flags):
    out = subprocess.run([fdlint, "check", "--no-ignore", "--format", "json", "--fail-on",
                          "never", *flags, d], capture_output=True, text=True).stdout
    return {(f["path"], f["line"], f["column"], f["code"]) for f in json.loads(out)["findings"]}


def main():
    fdlint = sys.argv[1] if len(sys.argv) > 1 else "target/release/fdlint"
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 4000
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 7)
    with tempfile.TemporaryDirectory() as d:
        for k in range(n):
            t = HEAD + rng.choice(BODIES).format(i=rng.choice(["    ", "  ", "\t"]))
            for _ in range(rng.randint(1, 4)):
                p = rng.randint(len(HEAD), len(t))
                t = t[:p] + rng.choice(JUNK) + t[p:]
            Path(d, f"s{k}.py").write_text(t, newline="")
        without = findings(fdlint, d, "--no-prefilter")
        with_ = findings(fdlint, d)
        lost = sorted(without - with_)
        print(f"{n} snippets: {len(without)} findings without the prefilter, "
              f"{len(lost)} lost with it, {len(with_ - without)} gained")
        for path, line, col, code in lost if "--all" in sys.argv else lost[:20]:
            print(f"  lost {code} {Path(path).name}:{line}:{col}")
            print("    " + repr(Path(path).read_text()))
    return 1 if lost else 0


if __name__ == "__main__":
    sys.exit(main())
