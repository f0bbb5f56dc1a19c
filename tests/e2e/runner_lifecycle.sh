#!/usr/bin/env bash
# Containers without a daemon: -d with logs -f and stop within its timeout, logs options,
# restart policies, exec joining the running container, kill/wait, restart, a monitor that
# dies, -t with a real pty and its window size, and nothing of bld left after rm -f.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runner_env.bash"

state() { B ps -a --filter "name=$1" --format '{{.State}}'; }
wait_state() { # NAME STATE — up to 10 s
  local i
  for i in $(seq 100); do [ "$(state "$1")" = "$2" ] && return 0; sleep 0.1; done
  return 1
}

id=$(B run -d --name ticker $IMG sh -c 'i=0; while true; do echo line$i; i=$((i+1)); sleep 0.2; done')
t_match "-d prints the id" '^[0-9a-f]{64}$' "$id"
t_eq "running" "running" "$(state ticker)"
B logs -f ticker >"$T_DIR/follow" 2>&1 &
follow=$!
at_exit "kill $follow 2>/dev/null"
sleep 1
start=$(date +%s%N)
t_ok "stop" B stop -t 2 ticker
ms=$(( ($(date +%s%N) - start) / 1000000 ))
t_match "stop waited for its timeout, not longer (${ms} ms)" '^(1[5-9][0-9][0-9]|[2-5][0-9][0-9][0-9])$' "$ms"
for i in $(seq 50); do kill -0 $follow 2>/dev/null || break; sleep 0.1; done
t_exit "logs -f ends when the container stops" 1 kill -0 $follow
t_match "logs -f saw the output" 'line0.*line2' "$(tr '\n' ' ' <"$T_DIR/follow")"
t_eq "exited after SIGKILL" "137" "$(B wait ticker)"
t_eq "logs --tail 2" "2" "$(B logs --tail 2 ticker | wc -l)"
t_match "logs -t" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z line0$' "$(B logs -t ticker | head -1)"
t_eq "logs --since the future" "" "$(B logs --since 2099-01-01T00:00:00Z ticker)"
t_match "json-file log" '^\{"log":"line0\\n","stream":"stdout","time":"[^"]+"\}$' "$(head -1 "$BLD_ROOT/containers/$id/$id-json.log")"
B run --name errs $IMG sh -c 'echo out; echo err >&2' >/dev/null 2>&1
t_eq "logs keeps stderr apart" "err" "$(B logs errs 2>&1 >/dev/null)"

B run -d --name flaky --restart on-failure:3 $IMG sh -c 'echo run; exit 1' >/dev/null
sleep 1.5
wait_state flaky exited
t_eq "on-failure:3 ran 4 times" "4" "$(B logs flaky | grep -c run)"
t_eq "restart count 3" "3" "$(B inspect --format '{{.RestartCount}}' flaky)"

B run -d --name box -h boxhost -e FROM_RUN=1 $IMG sleep 300 >/dev/null
t_eq "exec sees the container's pid 1" "sleep 300" "$(B exec box cat /proc/1/cmdline | tr '\0' ' ' | sed 's/ $//')"
t_eq "exec joins the uts namespace" "boxhost" "$(B exec box hostname)"
pid=$(B inspect --format '{{.State.Pid}}' box)
for ns in mnt pid net ipc uts cgroup; do
  t_eq "exec joins the $ns namespace" "$(readlink /proc/$pid/ns/$ns)" "$(B exec box readlink /proc/self/ns/$ns)"
done
t_eq "exec has the container's env and -e" "1 2" "$(B exec -e X=2 box sh -c 'echo $FROM_RUN $X')"
t_root_only single "exec -u" ||
  t_eq "exec -u -w" "1000 /tmp" "$(B exec -u app -w /tmp box sh -c 'echo $(id -u) $(pwd)')"
t_eq "exec -w" "/tmp" "$(B exec -w /tmp box pwd)"
t_exit "exec exit code" 7 B exec box sh -c 'exit 7'
t_exit "exec not found is 127" 127 B exec box nosuch
t_eq "exec -i passes stdin" "piped" "$(echo piped | B exec -i box cat)"
B exec -d box sh -c 'echo bg >/tmp/bg'
for i in $(seq 100); do [ "$(B exec box cat /tmp/bg 2>/dev/null)" = bg ] && break; sleep 0.1; done
t_eq "exec -d" "bg" "$(B exec box cat /tmp/bg)"
t_eq "exec caps are Docker's default" "00000000a80425fb" "$(B exec box sh -c 'grep ^CapEff /proc/self/status | cut -f2')"
t_ok "kill -s TERM is ignored by a pid 1 without handler" B kill -s TERM box
sleep 0.2
t_eq "still running" "running" "$(state box)"
t_ok "restart" B restart -t 0 box
t_eq "running after restart" "running" "$(state box)"
t_ok "kill" B kill box
t_eq "wait after kill" "137" "$(B wait box)"

B run -d --name orphan $IMG sleep 300 >/dev/null
mon=$(jq -r .MonitorPid "$BLD_ROOT/containers/$(B ps -q --no-trunc --filter name=orphan)/state.json")
kill -9 "$mon"
wait_state orphan dead
t_eq "a monitor that died is reported" "dead" "$(state orphan)"
t_ok "rm -f of a container whose monitor died" B rm -f orphan
t_eq "and its processes are gone" "" "$(pgrep -f 'sleep 300' | while read -r p; do grep -qz "^BLD_ROOT=$BLD_ROOT\$" /proc/$p/environ 2>/dev/null && echo $p; done)"

# -t: a real pty; the window size of the caller's terminal reaches the container
out=$(python3 - "$NS" "$BLD" $IMG <<'PY'
import os, pty, sys, fcntl, termios, struct, select
ns, bld, rest = sys.argv[1], sys.argv[2], sys.argv[3:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp("nsenter", ["nsenter", "--net=/run/netns/" + ns, bld, "run", "--rm", "-t", *rest,
                          "sh", "-c", "stty size; tty"])
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 33, 111, 0, 0))
out = b""
while True:
    r, _, _ = select.select([fd], [], [], 10)
    if not r: break
    try: d = os.read(fd, 4096)
    except OSError: break
    if not d: break
    out += d
os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace").replace("\r", ""))
PY
)
out=$(t_container_out "$out")
t_match "-t window size reaches the container" '^33 111$' "$(head -1 <<<"$out")"
# the pty comes from the monitor's devpts: inside it is known as /dev/console
t_match "-t gives a tty" '^/dev/(pts/[0-9]+|console)$' "$(sed -n 2p <<<"$out")"

B rm -f $(B ps -aq) >/dev/null
t_eq "after rm -f nothing of bld remains" "" "$(runner_leftovers)"
t_eq "no container state left" "" "$(ls "$BLD_ROOT/containers" | grep -v '^\.')"
