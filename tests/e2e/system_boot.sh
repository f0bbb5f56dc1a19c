#!/usr/bin/env bash
# Restart policies across a reboot without a daemon: every monitor and container process is
# killed (-9) as a reboot would, then `bld system boot` (what bld-boot.service runs) starts
# exactly the containers whose policy asks for it: always, unless-stopped unless a user
# stopped it, on-failure when it was running; not "no", not a stopped unless-stopped, not
# an on-failure that had exited 0 (a stopped one started again counts as not stopped); a compose service with restart: always too. A second
# run starts nothing.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runner_env.bash"

B run -d --init --name alw --restart always $IMG sleep 600 >/dev/null
B run -d --init --name unl --restart unless-stopped $IMG sleep 600 >/dev/null
B run -d --init --name unl-stopped --restart unless-stopped $IMG sleep 600 >/dev/null
B run -d --init --name onf --restart on-failure $IMG sleep 600 >/dev/null
B run -d --init --name onf-done --restart on-failure $IMG true >/dev/null
B run -d --init --name plain $IMG sleep 600 >/dev/null
B run -d --init --name unl-again --restart unless-stopped $IMG sleep 600 >/dev/null
B stop unl-stopped unl-again >/dev/null
B start unl-again >/dev/null # a start clears the stop's mark
mkdir "$T_DIR/p" && cd "$T_DIR/p"
printf 'services:\n  svc: {image: %s, init: true, restart: always, command: [sleep, "600"]}\n' \
  "$IMG" >compose.yaml
t_ok "compose up -d of a restart: always service" B compose up -d
B wait onf-done >/dev/null

# the reboot: every monitor and every container's process killed at once
pids=$(for d in "$BLD_ROOT"/containers/*/; do
  python3 -c 'import json, sys; s = json.load(open(sys.argv[1]))
print(s.get("MonitorPid", 0), s.get("Pid", 0))' "$d/state.json"
done | tr ' ' '\n' | grep -v '^0$')
kill -9 $pids 2>/dev/null
for i in $(seq 50); do [ -z "$(B ps -q)" ] && break; sleep 0.1; done
t_eq "after the 'reboot' nothing runs" "" "$(B ps -q)"

t_eq "system boot starts what the policies ask for" "alw onf p-svc-1 unl unl-again" \
  "$(B system boot | sort | xargs)"
t_eq "and they run" "alw onf p-svc-1 unl unl-again" "$(B ps --format '{{.Names}}' | sort | xargs)"
t_eq "a second run starts nothing" "" "$(B system boot)"
t_eq "system boot --help" "Usage:  bld system boot" "$(B system boot --help | sed -n 2p | sed 's/ *$//')"
B compose down >/dev/null 2>&1
