#!/usr/bin/env python3
"""ctest lint.code_shape_selftest: check_code_shape.py reports the shapes it must, and only those.

Each case writes a small tree into a temporary directory and runs the checker on it."""
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CHECK = os.path.join(HERE, "check_code_shape.py")


def body(n):
    return "".join(f"  x += {k};\n" for k in range(n))


CASES = [
    # (name, {file: text}, expected substrings of the output (empty: must be clean))
    ("short function", {"a.cpp": "int f(int x) {\n" + body(50) + "  return x;\n}\n"}, []),
    ("long function", {"a.cpp": "int f(int x) {\n" + body(99) + "  return x;\n}\n"},
     ["a.cpp:1: function of 102 lines"]),
    ("long member function with qualifiers",
     {"a.cpp": "struct S {\n  int g(int x) const noexcept {\n" + body(120) + "    return x;\n  }\n};\n"},
     ["a.cpp:2: function of 123 lines"]),
    ("long constructor with an initialiser list",
     {"a.cpp": "S::S(int a)\n    : a_(a), b_{a} {\n" + body(110) + "}\n"}, ["a.cpp:1: function of 113 lines"]),
    ("long gtest body", {"t.cpp": "TEST(Suite, Name) {\n  int x = 0;\n" + body(110) + "}\n"},
     ["t.cpp:1: function of 113 lines"]),
    ("long function with its reason", {"a.cpp": "// long-function: one table, row per opcode\n"
                                                "int f(int x) {\n" + body(120) + "  return x;\n}\n"}, []),
    ("braces in strings and comments do not count",
     {"a.cpp": "int f() {\n  const char* s = \"{{{\";\n  // }}}\n  /* { */\n  return s[0];\n}\n" +
               "int g(int x) {\n" + body(101) + "  return x;\n}\n"}, ["a.cpp:7: function of 104 lines"]),
    ("a class, a namespace and an array are not functions",
     {"a.hpp": "namespace n {\nstruct S {\n" + "".join(f"  int m{k} = {k};\n" for k in range(120)) +
               "};\nconst int t[] = {\n" + "".join(f"  {k},\n" for k in range(120)) + "};\n}\n"}, []),
    ("long file", {"big.cpp": "int x;\n" * 601}, ["big.cpp: 601 lines"]),
    ("long file with its reason", {"big.cpp": "// long-file: generated table\n" + "int x;\n" * 700}, []),
    ("ticket in a C++ comment", {"a.cpp": "// Added for " + "issue" + " 7.\nint x;\n"}, ["a.cpp:1: comment names a ticket"]),
    ("ticket in a CMake comment", {"CMakeLists.txt": "# see i" + "13b\nset(X 1)\n"},
     ["CMakeLists.txt:1: comment names a ticket"]),
    ("a number that is not a ticket", {"a.cpp": "// RFC 2544 section 26.1, 7 issues of the journal\nint x;\n"}, []),
]


def run(files):
    with tempfile.TemporaryDirectory() as d:
        for name, text in files.items():
            with open(os.path.join(d, name), "w") as f:
                f.write(text)
        p = subprocess.run([sys.executable, CHECK, d, "--files", *files], capture_output=True, text=True)
        return p.returncode, p.stdout


def main():
    failed = 0
    for name, files, expected in CASES:
        rc, out = run(files)
        ok = (rc == 0 and not out.strip()) if not expected else (rc == 1 and all(e in out for e in expected))
        if not ok:
            failed += 1
            print(f"FAIL {name}: rc={rc}, expected {expected or 'no finding'}, got:\n{out}")
        else:
            print(f"ok   {name}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
