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

# docker's management commands ("image ls", "container rm" ...) run the same commands
mkdir -p "$T_DIR/tiny/etc" && echo hi >"$T_DIR/tiny/etc/hi" && tar -C "$T_DIR/tiny" -cf "$T_DIR/tiny.tar" .
"$BLD" import "$T_DIR/tiny.tar" cli/tiny:1 >/dev/null
t_eq "image ls lists as images" "$("$BLD" images)" "$("$BLD" image ls)"
t_eq "image list too" "$("$BLD" images -q)" "$("$BLD" image list -q)"
t_eq "image inspect is inspect of the image" "$("$BLD" inspect cli/tiny:1)" "$("$BLD" image inspect cli/tiny:1)"
t_eq "container ls -a lists as ps -a" "$("$BLD" ps -a)" "$("$BLD" container ls -a)"
t_exit "container inspect of an image fails with 1" 1 "$BLD" container inspect cli/tiny:1
t_eq "... saying docker's words" "Error: No such container: cli/tiny:1" \
  "$("$BLD" container inspect cli/tiny:1 2>&1 >/dev/null)"
t_eq "image inspect of nothing says No such image" "Error: No such image: nope" \
  "$("$BLD" image inspect nope 2>&1 >/dev/null)"
t_match "image --help lists ls" "^  ls +List images" "$("$BLD" image --help)"
t_match "container --help lists run" "^  run +Create and run a new container" "$("$BLD" container --help)"
t_match "image ls --help is the images help" "^Usage:  bld images" "$("$BLD" image ls --help | sed -n 2p)"
t_ok "image tag" "$BLD" image tag cli/tiny:1 cli/tiny:2
t_ok "image rm" "$BLD" image rm cli/tiny:2
t_eq "... removed the tag only" "cli/tiny:1" "$("$BLD" images --format '{{.Repository}}:{{.Tag}}' cli/tiny)"
t_exit "an unknown image subcommand fails with 1" 1 "$BLD" image nosuch
