#!/usr/bin/env bash
# tests/e2e/build_progress.sh — bld build's progress: on a terminal (a pty from script(1))
# the live tty view redraws in place with a ticking timer, the running step's output tail,
# CACHED/ERROR tags and a final FINISHED frame; a failing build still shows the step's last
# output and the error. Off a terminal, or with --progress=plain (or TERM=dumb), the plain
# format is unchanged: the same lines with auto as with plain, and no escape sequences.
. "$(dirname "$0")/lib.sh"

t_busybox_registry

ctx=$T_DIR/app
mkdir -p "$ctx"
cat >"$ctx/Dockerfile" <<DF
FROM $BASE
RUN echo first > /first
RUN for i in 1 2 3 4 5 6 7 8; do echo "tick \$i"; sleep 0.15; done
COPY f /f
DF
echo f >"$ctx/f"
ESC=$(printf '\033')

noansi() { tr -d '\r' <<<"$1" | sed "s/${ESC}\\[[0-9]*[A-Za-z]//g"; }
# on_pty CMD... — runs CMD with stdin/stdout/stderr on a pty, prints what it wrote
on_pty() { script -qec "$(printf '%q ' "$@")" /dev/null; }

out=$(on_pty "$BLD" build --no-cache -t tty-app "$ctx" 2>&1); rc=$?
t_eq "a build on a terminal succeeds" 0 "$rc"
frames=$(grep -c '\[+\] Building' <<<"$out")
t_ok "the view is redrawn several times ($frames frames)" test "$frames" -ge 5
t_match "frames move the cursor back up over the last one" "${ESC}\\[[0-9]+A" "$out"
t_match "lines are erased as they are redrawn" "${ESC}\\[K" "$out"
t_match "finished steps are drawn in blue, as BuildKit draws them" "${ESC}\\[34m => \\[2/4\\] RUN echo first" "$out"
t_match "the running step's output tail is shown" ' => => # tick [1-8]' "$out"
times=$(grep -o '=> \[3/4\] RUN for i.* [0-9.]*s' <<<"$out" | sed 's/.* //' | sort -u | wc -l)
t_ok "the running step's timer ticks ($times distinct times)" test "$times" -ge 3
final=$(noansi "$out" | awk '/\[\+\] Building/ { f = "" } { f = f $0 "\n" } END { printf "%s", f }')
t_match "the final frame says FINISHED with every vertex done" '^\[\+\] Building [0-9.]+s \(5/5\) FINISHED' "$final"
t_match "... lists each step with its time" ' => \[4/4\] COPY f /f +[0-9.]+s' "$final"
t_ok "... without the finished step's output" bash -c "! grep -q '# tick' <<<'$final'"
t_ok "no plain-format line on a terminal" bash -c "! grep -Eq '^#[0-9]+ ' <<<'$(tr -d '\r' <<<"$out")'"

out=$(on_pty "$BLD" build -t tty-app "$ctx" 2>&1)
final=$(noansi "$out" | awk '/\[\+\] Building/ { f = "" } { f = f $0 "\n" } END { printf "%s", f }')
t_eq "a rebuild shows each step CACHED" 3 "$(grep -c ' => CACHED \[[234]/4\]' <<<"$final")"

mkdir -p "$T_DIR/bad"
printf 'FROM %s\nRUN echo ok\nRUN echo last words; echo more words; exit 3\n' "$BASE" >"$T_DIR/bad/Dockerfile"
out=$(on_pty "$BLD" build "$T_DIR/bad" 2>&1); rc=$?
out=$(tr -d '\r' <<<"$out")
t_eq "a failing build on a terminal exits 1" 1 "$rc"
t_match "the failed step is marked ERROR" ' => ERROR \[3/3\] RUN echo last words' "$out"
t_match "its last output lines follow the view" '^#[0-9]+ [0-9.]+ more words$' "$out"
t_match "the error names the step and line" '^bld: Dockerfile:3: \[3/3\] RUN .*exit code: 3' "$out"
t_ok "a failed build is not FINISHED" bash -c "! grep -q FINISHED <<<'$out'"

# plain stays plain: off a terminal, with --progress=plain, with TERM=dumb
norm() { sed -E 's/[0-9]+\.[0-9]+s?/T/g; s/sha256:[0-9a-f]+/ID/g' <<<"$1"; }
auto=$("$BLD" build -t tty-app "$ctx" 2>&1)
plain=$("$BLD" build --progress=plain -t tty-app "$ctx" 2>&1)
t_eq "off a terminal auto prints the plain format" "$(norm "$plain")" "$(norm "$auto")"
t_match "... BuildKit's plain lines" '^#2 \[2/4\] RUN echo first' "$auto"
t_ok "... without escape sequences" bash -c "! grep -q \$'\\033' <<<'$auto'"
out=$(on_pty "$BLD" build --progress=plain -t tty-app "$ctx" 2>&1)
t_eq "--progress=plain on a terminal: the plain format" "$(norm "$plain")" "$(norm "$(tr -d '\r' <<<"$out")")"
out=$(TERM=dumb on_pty "$BLD" build -t tty-app "$ctx" 2>&1)
t_ok "TERM=dumb: no live view" bash -c "! grep -q 'Building' <<<'$out'"
out=$("$BLD" build --progress=tty -t tty-app "$ctx" 2>&1)
t_match "--progress=tty draws the view even off a terminal" 'FINISHED' "$out"
out=$("$BLD" build --progress=fancy "$ctx" 2>&1); rc=$?
t_eq "an unknown progress mode is a usage error" "125 1" "$rc $(grep -c 'invalid progress mode' <<<"$out")"
t_finish
