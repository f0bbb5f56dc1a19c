#!/usr/bin/env bash
# The command line itself: help for every command, version, docker's exit codes for
# unknown commands and flags, one-line errors.
. "$(dirname "$0")/lib.sh"

t_ok "bld --help" "$BLD" --help
t_ok "bld version" "$BLD" version
out=$("$BLD" --help)
cmds=$(awk '/^Commands:/{f=1;next} /^$/{f=0} f{print $1}' <<<"$out")
for c in $cmds; do
  # subcommand groups list as "image prune": the first word is enough for --help here
  h=$("$BLD" $(grep -o "^$c.*" <<<"$c") --help 2>&1)
  t_match "bld $c --help" "^Usage:  bld $c" "$(sed -n 2p <<<"$h")"
done
t_exit "unknown command exits 1" 1 "$BLD" nosuchcommand
t_exit "unknown flag exits 125" 125 "$BLD" version --nosuchflag
err=$("$BLD" version --nosuchflag 2>&1 >/dev/null | head -1)
t_match "errors are bld: <what>" '^bld: unknown flag: --nosuchflag$' "$err"
