#!/usr/bin/env python3
"""tests/layout/check.py — the module rules of DESIGN.md and STYLE.md, checked on the sources:

  includes   a module includes only the modules below it (parser, cache, registry and runner
             never include builder; nothing includes cli; only cli includes api, for the one
             command that starts the service; runner never includes registry ...)
  calls      inside a module, files call each other without circles: shared helpers live in a
             file that calls none of its callers
  errors     no code branches on a return value compared with an error code (r == -BLD_E_X,
             case -BLD_E_X): many functions return a bare -1, which equals -BLD_E_NOTFOUND,
             so a failure would read as "not found"; callers branch on err->code

Calls are found by name: a file calls another when it names a function (bld_*) that the other
defines at file scope. Prints one line per broken rule and exits 1 when there is one.
Usage: tests/layout/check.py [--calls MODULE...]   (default: the modules listed in ACYCLIC)
"""
import glob
import os
import re
import sys

TOP = os.path.normpath(os.path.join(os.path.dirname(__file__), '..', '..'))
ALLOWED = {
    'common': {'common'},
    'parser': {'parser', 'common'},
    'cache': {'cache', 'common'},
    'registry': {'registry', 'cache', 'common'},
    'runner': {'runner', 'cache', 'common'},
    'builder': {'builder', 'parser', 'cache', 'registry', 'runner', 'common'},
    'deploy': {'deploy', 'builder', 'registry', 'runner', 'parser', 'cache', 'common'},
    'api': {'api', 'deploy', 'builder', 'parser', 'cache', 'registry', 'runner', 'common'},
    # cli is the program's entry: `bld system service` starts api's server through api/api.h
    'cli': {'cli', 'api', 'deploy', 'builder', 'parser', 'cache', 'registry', 'runner', 'common'},
}
# The only cli file that may include api, and the only api header it may include.
CLI_API = {('cmd_system_service.c', 'api/api.h')}
# Modules whose files must call each other without circles. Not yet: cache (unpack.c and
# layer_feed.c), cli (container_opts.c and hostconfig.c).
ACYCLIC = ['common', 'parser', 'registry', 'runner', 'builder', 'deploy']


def sources(mod):
    return sorted(glob.glob(os.path.join(TOP, mod, '*.c')) + glob.glob(os.path.join(TOP, mod, '*.h')))


def strip_comments(s):
    return re.sub(r'/\*.*?\*/', '', s, flags=re.S)


def check_includes():
    bad = []
    for mod, allowed in ALLOWED.items():
        for f in sources(mod):
            for n, line in enumerate(open(f), 1):
                m = re.match(r'#include "(([a-z_]+)/[^"]*)"', line)
                if not m:
                    continue
                inc, to = m.group(1), m.group(2)
                if to not in allowed or (mod == 'cli' and to == 'api' and
                                         (os.path.basename(f), inc) not in CLI_API):
                    bad.append(f'{os.path.relpath(f, TOP)}:{n}: {mod}/ includes {inc}')
    return bad


def call_edges(mod):
    files = [f for f in sources(mod) if f.endswith('.c')]
    text = {f: strip_comments(open(f).read()) for f in files}
    defs = {}
    for f, s in text.items():
        for m in re.finditer(r'^(?!static)[a-z][^\n;=(]*?\b(bld_\w+)\s*\([^;{]*\)\s*\{', s, re.M):
            defs.setdefault(m.group(1), f)
    edges = {f: {} for f in files}
    for f, s in text.items():
        for name in set(re.findall(r'\b(bld_\w+)\s*\(', s)):
            d = defs.get(name)
            if d and d != f:
                edges[f].setdefault(d, []).append(name)
    return edges


def circles(edges):
    """Strongly connected components of more than one file (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in edges:
        if v not in index:
            visit(v)
    return out


def check_calls(mods):
    bad = []
    for mod in mods:
        edges = call_edges(mod)
        for comp in circles(edges):
            names = [os.path.basename(f) for f in comp]
            why = '; '.join(f'{os.path.basename(a)} -> {os.path.basename(b)} ({", ".join(sorted(set(n))[:3])})'
                            for a in comp for b, n in edges[a].items() if b in comp)
            bad.append(f'{mod}/: files call each other in a circle: {" ".join(names)}: {why}')
    return bad


RETURN_CODE = re.compile(r'(?:[=!]=|\bcase)\s*-\s*BLD_E_[A-Z_]+|-\s*BLD_E_[A-Z_]+\s*[=!]=')


def check_errors():
    bad = []
    for mod in ALLOWED:
        for f in sources(mod):
            text = re.sub(r'/\*.*?\*/', lambda m: '\n' * m.group(0).count('\n'), open(f).read(),
                          flags=re.S)
            lines = text.split('\n')
            for n, line in enumerate(lines, 1):
                if RETURN_CODE.search(line):
                    bad.append(f'{os.path.relpath(f, TOP)}:{n}: a return value compared with an '
                               f'error code (branch on err->code: a bare -1 is -BLD_E_NOTFOUND)')
    return bad


def main(argv):
    mods = argv[argv.index('--calls') + 1:] if '--calls' in argv else ACYCLIC
    bad = check_includes() + check_calls(mods) + check_errors()
    for b in bad:
        print(b)
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
