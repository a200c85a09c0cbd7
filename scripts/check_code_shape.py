#!/usr/bin/env python3
"""The code's shape rules (docs/architecture.md, "Rules the code keeps"), checked on the tree.

  * no source file over 600 lines, unless a `long-file: <why>` comment in its first 40 lines
    says why;
  * no C++ function over 100 lines (body, braces included), unless a `long-function: <why>`
    comment stands in the 3 lines above its first line;
  * no comment that names a ticket ("issue 7", "issue-15", "i13b"): comments say why, and the
    ticket is in the commit log.

    scripts/check_code_shape.py [ROOT] [--files F ...]   exit 0 clean, 1 with findings listed

The C++ reader is a heuristic, not a parser: it strips comments, strings and preprocessor
lines, follows braces, and takes a `{` outside any function body whose preceding code ends in
`)` (after qualifiers such as const, override, noexcept, a trailing return type or a
constructor's initialiser list) as the start of a function body. That finds functions, member
functions, constructors, lambdas at namespace scope and gtest TEST bodies; it is what the rule
needs, and the tests feed it the shapes it must and must not report.
"""
import os
import re
import subprocess
import sys

MAX_FILE_LINES = 600
MAX_FUNCTION_LINES = 100
SOURCE_EXT = (".cpp", ".hpp", ".h", ".cc", ".sv", ".py", ".sh", ".cmake", ".lua")
SOURCE_NAMES = ("CMakeLists.txt",)
CXX_EXT = (".cpp", ".hpp", ".h", ".cc")
# Generated or third-party: not ours to shape.
SKIP_PARTS = ("/build", "/corpus/", "/.git/")
TICKET = re.compile(r"\b[Ii]ssues?[ -]?#?\d+\b|\bi\d{1,2}[a-z]\b|\b[Tt]icket[ -]?#?\d+\b")
COMMENT_MARK = {".py": "#", ".sh": "#", ".cmake": "#", "CMakeLists.txt": "#", ".lua": "--"}


def tracked_files(root):
    try:
        out = subprocess.run(["git", "-C", root, "ls-files", "--cached", "--others", "--exclude-standard"],
                             capture_output=True, text=True, check=True).stdout.split("\n")
    except (OSError, subprocess.CalledProcessError):
        out = []
        for d, _, fs in os.walk(root):
            out += [os.path.relpath(os.path.join(d, f), root) for f in fs]
    return [f for f in out if f and (f.endswith(SOURCE_EXT) or os.path.basename(f) in SOURCE_NAMES)
            and not any(p in "/" + f for p in SKIP_PARTS)]


def strip_cxx(text):
    """Comments, string and char literals and preprocessor lines blanked; newlines kept."""
    out = []
    i, n = 0, len(text)
    at_line_start = True
    while i < n:
        c = text[i]
        if at_line_start and c == "#":
            while i < n and text[i] != "\n":  # a directive, with its continuation lines
                if text[i] == "\\" and i + 1 < n and text[i + 1] == "\n":
                    out.append("\n")
                    i += 2
                    continue
                i += 1
            continue
        if c == "\n":
            out.append(c)
            at_line_start = True
            i += 1
            continue
        if c not in " \t":
            at_line_start = False
        if text.startswith("//", i):
            while i < n and text[i] != "\n":
                i += 1
            continue
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("\n" * text.count("\n", i, j))
            i = j
            continue
        m = re.match(r'R"([^(\s]*)\(', text[i:i + 40])
        if m:
            end = text.find(")" + m.group(1) + '"', i)
            end = n if end < 0 else end + len(m.group(1)) + 2
            out.append('""' + "\n" * text.count("\n", i, end))
            i = end
            continue
        if c in "\"'":
            if c == "'" and i > 0 and text[i - 1].isalnum():  # digit separator 1'000
                i += 1
                continue
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            out.append(c + c)
            i = j + 1
            continue
        out.append(c)
        i += 1
    return "".join(out)


QUALIFIERS = re.compile(
    r"(\s*(const|override|final|noexcept(\s*\([^()]*\))?|mutable|volatile|&&?|->\s*[\w:<>,\s*&]+|"
    r"try))*\s*$")


def opens_function(before):
    """Whether code ending with `before` opens a function body with the next `{`."""
    s = before.rstrip()
    s = QUALIFIERS.sub("", s) if not s.endswith(")") else s
    s = s.rstrip()
    if s.endswith(")"):
        # `) {` of a control statement is inside a function already; at this depth it is a
        # function or lambda. A macro call such as `TEST(a, b)` counts as one too.
        return True
    # A constructor's initialiser list ending in a braced member init: `: a_(x), b_{y} {`.
    return bool(re.search(r"\)\s*:\s*[\w:]+\s*[({][^;]*[)}]\s*$", s))


INIT_LIST_MEMBER = re.compile(r"\)\s*:\s*[^;{}]*[\w>]\s*$")  # `) : a_(x), b_` before `{y}`


def functions(text):
    """(first_line, last_line) of every outermost function body in C++ source `text`."""
    code = strip_cxx(text)
    found = []
    stack = []  # per open brace: "fn", "init" (a braced member init in a constructor's list), "other"
    fn_start = 0
    last_stmt = 0  # index after the last ; { or } outside a function: where the signature starts
    line = 1
    in_fn = lambda: "fn" in stack  # noqa: E731
    for i, c in enumerate(code):
        if c == "\n":
            line += 1
        elif c == "{":
            if in_fn():
                stack.append("other")
                continue
            sig = code[last_stmt:i]
            if INIT_LIST_MEMBER.search(sig.rstrip()):
                stack.append("init")
            elif opens_function(sig):
                leading = sig[:len(sig) - len(sig.lstrip())]
                fn_start = line - sig.count("\n") + leading.count("\n")
                stack.append("fn")
            else:
                stack.append("other")
                last_stmt = i + 1
        elif c == "}":
            kind = stack.pop() if stack else "other"
            if kind == "fn":
                found.append((fn_start, line))
                last_stmt = i + 1
            elif kind == "other" and not in_fn():
                last_stmt = i + 1
        elif c == ";" and not in_fn():
            last_stmt = i + 1
    return found


def has_reason(lines, first, mark, window):
    lo = max(0, first - 1 - window)
    return any(mark in l for l in lines[lo:first])


def check_file(root, rel):
    path = os.path.join(root, rel)
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
    except OSError as e:
        return [f"{rel}: cannot read ({e})"]
    lines = text.split("\n")
    problems = []
    n = len(lines) - (1 if text.endswith("\n") else 0)
    if n > MAX_FILE_LINES and not any("long-file:" in l for l in lines[:40]):
        problems.append(f"{rel}: {n} lines (> {MAX_FILE_LINES}); split it, or say why in a "
                        f"`long-file:` comment in its first 40 lines")
    if rel.endswith(CXX_EXT):
        for a, b in functions(text):
            if b - a + 1 > MAX_FUNCTION_LINES and not has_reason(lines, a, "long-function:", 3):
                head = lines[a - 1].strip()[:70]
                problems.append(f"{rel}:{a}: function of {b - a + 1} lines (> {MAX_FUNCTION_LINES}): "
                                f"`{head}`; split it, or say why in a `long-function:` comment above it")
    ext = os.path.splitext(rel)[1] or os.path.basename(rel)
    mark = COMMENT_MARK.get(ext, COMMENT_MARK.get(os.path.basename(rel), "//"))
    for k, l in enumerate(lines, 1):
        pos = l.find(mark)
        if pos >= 0 and TICKET.search(l[pos:]):
            problems.append(f"{rel}:{k}: comment names a ticket: `{l.strip()[:80]}`; say why instead")
    return problems


def main(argv):
    root = "."
    files = None
    args = list(argv)
    if "--files" in args:
        k = args.index("--files")
        files = args[k + 1:]
        args = args[:k]
    if args:
        root = args[0]
    files = files if files is not None else tracked_files(root)
    problems = []
    for rel in sorted(files):
        problems += check_file(root, rel)
    for p in problems:
        print(p)
    print(f"check_code_shape: {len(files)} files, {len(problems)} findings", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
