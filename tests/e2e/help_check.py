#!/usr/bin/env python3
"""tests/e2e/help_check.py HELP MAN — compares a command's --help (file HELP) with its manual
page as man renders it (file MAN): the sections in docker's order, the same option list, the
same examples, and --help ending with two or three examples whose options the command takes.
Prints one line per difference; nothing when they agree."""
import re
import sys

SECTIONS = ["NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "EXAMPLES", "EXIT STATUS", "SEE ALSO"]


def help_parts(text):
    opts, examples, section = [], [], None
    for line in text.splitlines():
        if re.match(r"^(Global )?Options:$", line):
            section = "opts"
        elif line == "Examples:":
            section = "ex"
        elif not line.strip() or not line.startswith("  "):
            section = None if line.strip() or section != "ex" else section
        elif section == "opts":
            opts.append(re.split(r"\s{2,}", line.strip())[0])
        elif section == "ex":
            examples.append(line.strip())
    return opts, examples


def man_parts(text):
    sections, cur, body = [], None, {}
    for line in text.splitlines():
        if re.match(r"^[A-Z][A-Z ]+$", line):
            cur = line
            sections.append(cur)
            body[cur] = []
        elif cur:
            body[cur].append(line)
    opts = [l.strip() for l in body.get("OPTIONS", []) if re.match(r"^ {7}-", l)]
    ex = [l.strip() for l in body.get("EXAMPLES", []) if l.strip()]
    return sections, opts, ex


def option_words(line, opts):
    """The options an example gives before the command's first positional argument."""
    known = {}
    for o in opts:
        m = re.match(r"^(?:-(\S), )?--(\S+)(?: (\S+))?$", o)
        takes = m.group(3) is not None
        known["--" + m.group(2)] = takes
        if m.group(1):
            known["-" + m.group(1)] = takes
    return known


def main():
    htext = open(sys.argv[1]).read()
    mtext = open(sys.argv[2]).read()
    name = sys.argv[3].split()
    hopts, hex_ = help_parts(htext)
    sections, mopts, mex = man_parts(mtext)
    problems = []
    got = [s for s in sections if s in SECTIONS]
    if got != SECTIONS or sections[: len(SECTIONS)] != SECTIONS:
        problems.append("man sections %s" % sections)
    if hopts != mopts:
        problems.append("options differ: help %s man %s" % (hopts, mopts))
    lines = hex_[1::2]
    if not 2 <= len(lines) <= 3 or any(not w.startswith("# ") for w in hex_[0::2]):
        problems.append("--help does not end with two or three examples: %s" % hex_)
    if not htext.rstrip("\n").endswith(hex_[-1] if hex_ else "\0"):
        problems.append("--help does not end with its examples")
    if [l for l in lines if l not in mex]:
        problems.append("examples differ: help %s man %s" % (lines, mex))
    known = option_words(None, hopts)
    for l in lines:
        words = l.split()
        while words and words[0] != "bld":
            words.pop(0)
        i = 1 + len(name)
        if words[1 : 1 + len(name)] != name:
            continue  # a group's options before the command word (bld compose -f x up)
        while i < len(words) and words[i].startswith("-") and words[i] != "-":
            w = words[i].split("=")[0]
            flags = [w] if w.startswith("--") else ["-" + c for c in w[1:]]
            for f in flags:
                if f not in known:
                    problems.append("example %r: %s is not an option" % (l, f))
            i += 2 if known.get(flags[-1]) and "=" not in words[i] and len(w) <= 2 or (
                w.startswith("--") and known.get(w) and "=" not in words[i]) else 1
    print("\n".join(problems))


main()
