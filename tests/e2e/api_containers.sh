#!/usr/bin/env bash
# tests/e2e/api_containers.sh — the container endpoints of `bld system service` driven by
# Debian's docker 20.10 CLI (BuildKit off), compared with the same CLI against a private
# dockerd on the same image: docker run attached (stdout and stderr kept apart, the exit
# status, --rm), run -d -p (the port answers), logs (with -f until the container exits,
# --tail, stdout and stderr apart), inspect, stop, kill, rm (a running one refused without
# -f), wait, exec (-e -w -u, -i, -t, the pty sized to the terminal), pause/unpause, rename, restart; and daemonless: a
# container the service started runs on after the service is stopped, and bld ps sees it.
. "$(dirname "$0")/lib.sh"

t_busybox_registry
t_docker_pair
t_api_service
DKT() { DOCKER_HOST=unix://$API_SOCK timeout 20 /usr/bin/docker "$@"; }
both() { BO=$(DK "$@" 2>"$T_DIR/b.err"; echo "rc=$?"); DO=$(D "$@" 2>"$T_DIR/d.err"; echo "rc=$?"); }

# ------------------------------------------------------------------ run, attached
both run --rm --network none "$BASE" echo hi
t_eq "docker run --rm IMAGE echo hi: the output and status, as dockerd" "$DO" "$BO"
t_eq "... the container is gone (--rm)" "" "$("$BLD" ps -aq)"
both run --name e3 --network none "$BASE" sh -c 'echo out; echo err >&2; exit 3'
t_eq "docker run: stdout and the exit status, as dockerd" "$DO" "$BO"
t_eq "... stderr apart, as dockerd" "$(cat "$T_DIR/d.err")" "$(cat "$T_DIR/b.err")"
both run --rm --network none -e A=1 -w /tmp -u 1:2 "$BASE" sh -c 'echo $A $(pwd) $(id -u):$(id -g)'
t_eq "docker run -e -w -u: the config reaches the container, as dockerd" "$DO" "$BO"
both run --rm --network none --entrypoint /bin/echo "$BASE" ep
t_eq "docker run --entrypoint, as dockerd" "$DO" "$BO"
# -v /PATH arrives as Config.Volumes: an anonymous volume there, none for a bind's target
both run --name av --network none -v /data -v "$T_DIR:/bound" "$BASE" sh -c 'grep -c " /data \| /bound " /proc/mounts'
t_eq "docker run -v /PATH: an anonymous volume mounted there, beside a bind, as dockerd" "$DO" "$BO"
t_eq "... one volume made, as dockerd" "$(D volume ls -q | wc -l)" "$(DK volume ls -q | wc -l)"
both rm -v av
t_eq "... docker rm -v removes it, as dockerd" "$(D volume ls -q | wc -l)" "$(DK volume ls -q | wc -l)"
# wait?condition=removed of a --rm container (what docker run --rm's clients wait on)
# answers only once what others see of it is gone too: a monitor stopped (BLD_TEST_STOP_AT,
# inherited from bld run) after the container left the listings, before its anonymous
# volume went, keeps the wait waiting
id=$(BLD_TEST_STOP_AT=container-retired "$BLD" run -d --rm --network none -v /data "$BASE" sleep 0.5)
curl -s --unix-socket "$API_SOCK" -X POST "http://x/containers/$id/wait?condition=removed" \
  >"$T_DIR/rmwait.out" &
curl_pid=$!
for i in $(seq 100); do
  mon=$(jq -r .MonitorPid "$BLD_ROOT/containers/.rm-$id/state.json" 2>/dev/null)
  [ -n "$mon" ] && grep -q '^State:.*T' "/proc/$mon/status" 2>/dev/null && break
  mon="" && sleep 0.05
done
sleep 0.2
t_ok "wait?condition=removed: a --rm container out of the listings, its volume not yet gone: still waiting" \
  kill -0 "$curl_pid"
kill -CONT "$mon" 2>/dev/null
wait "$curl_pid"
t_eq "... once its monitor goes on, it answers" '{"StatusCode":0,"Error":null}' "$(cat "$T_DIR/rmwait.out")"
t_eq "... with the anonymous volume gone" "" "$("$BLD" volume ls -q)"
both run --rm --network none nosuch/image:x true
t_eq "docker run of an image no registry has: exit 125, as dockerd" "$(tail -1 <<<"$DO")" "$(tail -1 <<<"$BO")"

# ------------------------------------------------------------------ logs
both logs e3
t_eq "docker logs: stdout, as dockerd" "$DO" "$BO"
t_eq "... stderr apart" "$(cat "$T_DIR/d.err")" "$(cat "$T_DIR/b.err")"
# (which line is last in dockerd's log varies: it copies stdout and stderr apart)
both logs --tail 1 e3
t_eq "docker logs --tail 1: one line, as dockerd" "$( (echo "$DO"; cat "$T_DIR/d.err") | grep -vc rc=)" \
  "$( (echo "$BO"; cat "$T_DIR/b.err") | grep -vc rc=)"
DK run -d --name lf --network none "$BASE" sh -c 'for i in 1 2 3; do echo $i; sleep 0.3; done' >/dev/null
t_eq "docker logs -f follows until the container exits" "$(printf '1\n2\n3')" "$(DKT logs -f lf)"

# ------------------------------------------------------------------ run -d -p, inspect, stop
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
id=$(DK run -d --name web -p "127.0.0.1:$port:80" "$BASE" sh -c 'echo ok >/tmp/index.html; exec httpd -f -p 80 -h /tmp')
t_match "docker run -d -p prints the container's ID" "^[0-9a-f]{64}$" "$id"
ok=""
for _ in $(seq 1 50); do ok=$(curl -s "http://127.0.0.1:$port/index.html") && [ -n "$ok" ] && break; sleep 0.1; done
t_eq "... its published port answers" "ok" "$ok"
t_eq "docker ps shows its port" "127.0.0.1:$port->80/tcp" "$(DK ps --filter name=web --format '{{.Ports}}')"
q='{{.State.Status}} {{.Config.Image}} {{.Path}} {{json .Args}} {{json .HostConfig.PortBindings}} {{.Name}}'
t_eq "docker inspect: dockerd's fields" "running $BASE sh [\"-c\",\"echo ok >/tmp/index.html; exec httpd -f -p 80 -h /tmp\"] {\"80/tcp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"$port\"}]} /web" \
  "$(DK inspect -f "$q" web)"
t_eq "... the same container bld inspect shows" "$("$BLD" inspect -f '{{.Id}}' web)" "$(DK inspect -f '{{.Id}}' web)"
D run -d --name web --network=none "$BASE" sleep 60 >/dev/null
both rm web
t_eq "docker rm of a running container: refused, exit 1, as dockerd" "$(tail -1 <<<"$DO")" "$(tail -1 <<<"$BO")"
t_match "... a conflict" "Error response from daemon: .*(running|stop)" "$(cat "$T_DIR/b.err")"
both stop -t 1 web
t_eq "docker stop, as dockerd" "$DO" "$BO"
t_eq "... it is stopped" "exited" "$(DK inspect -f '{{.State.Status}}' web)"
both stop web
t_eq "docker stop of a stopped container: fine, as dockerd" "$DO" "$BO"
both kill web
t_eq "docker kill of a stopped container: refused, as dockerd" "$(tail -1 <<<"$DO")" "$(tail -1 <<<"$BO")"
both rm web e3
t_eq "docker rm, as dockerd" "$DO" "$BO"
DK rm lf >/dev/null
both rm nosuch
t_eq "docker rm of no such container, as dockerd" "$DO" "$(sed 's/No such container: nosuch/No such container: nosuch/' <<<"$BO")"

# ------------------------------------------------------------------ kill, wait
DK run -d --name k --network none "$BASE" sleep 60 >/dev/null
DK kill -s KILL k >/dev/null
t_eq "docker kill, then docker wait: 137" "137" "$(DKT wait k)"

# ------------------------------------------------------------------ exec
DK run -d --name xc --network none "$BASE" sleep 60 >/dev/null
D run -d --name xc --network=none "$BASE" sleep 60 >/dev/null
both exec xc sh -c 'echo out; echo err >&2; exit 4'
t_eq "docker exec: stdout and the exit status, as dockerd" "$DO" "$BO"
t_eq "... stderr apart, as dockerd" "$(cat "$T_DIR/d.err")" "$(cat "$T_DIR/b.err")"
both exec -e E=1 -w /tmp -u 1 xc sh -c 'echo $E $(pwd) $(id -u)'
t_eq "docker exec -e -w -u, as dockerd" "$DO" "$BO"
t_eq "docker exec -i: stdin reaches the process" "piped" "$(echo piped | DKT exec -i xc cat)"
tt="$DOCKER exec -t xc sh -c 'test -t 0 && test -t 1 && echo tty'"
t_eq "docker exec -t under a pty: a terminal, as dockerd" \
  "$(script -qec "$tt" /dev/null </dev/null | tr -d '\r')" \
  "$(DOCKER_HOST=unix://$API_SOCK script -qec "$tt" /dev/null </dev/null | tr -d '\r')"
# the CLI sizes the exec's pty to its terminal (POST /exec/ID/resize) once it started it
tt="stty rows 33 cols 77; $DOCKER exec -t xc sh -c 'sleep 0.5; stty size'"
t_eq "docker exec -t: the pty takes the CLI's terminal size, as dockerd's" \
  "$(script -qec "$tt" /dev/null </dev/null | tr -d '\r')" \
  "$(DOCKER_HOST=unix://$API_SOCK script -qec "$tt" /dev/null </dev/null | tr -d '\r')"
both exec nosuch true
t_eq "docker exec in no such container, as dockerd" "$(tail -1 <<<"$DO")" "$(tail -1 <<<"$BO")"
DK rm -f xc >/dev/null

# ------------------------------------------------------------------ pause, rename, restart
DK run -d --name pr --network none "$BASE" sleep 60 >/dev/null
D run -d --name pr --network=none "$BASE" sleep 60 >/dev/null
both pause pr
t_eq "docker pause, as dockerd" "$DO" "$BO"
t_eq "... ps shows it paused, as dockerd" "$(D ps --filter name=pr --format '{{.State}}')" "$(DK ps --filter name=pr --format '{{.State}}')"
both pause pr
t_eq "docker pause of a paused container: refused, exit 1 as dockerd" "$(tail -1 <<<"$DO")" "$(tail -1 <<<"$BO")"
both unpause pr
t_eq "docker unpause, as dockerd" "$DO" "$BO"
both rename pr pr2
t_eq "docker rename, as dockerd" "$DO" "$BO"
t_eq "... bld's CLI sees the new name" "pr2" "$("$BLD" ps --format '{{.Names}}' --filter name=pr2)"
before=$(DK inspect -f '{{.State.StartedAt}}' pr2)
both restart -t 1 pr2
t_eq "docker restart, as dockerd" "$DO" "$BO"
t_eq "... it runs again, started anew" "running yes" \
  "$(DK inspect -f '{{.State.Status}}' pr2) $([ "$(DK inspect -f '{{.State.StartedAt}}' pr2)" != "$before" ] && echo yes)"
DK rm -f pr2 >/dev/null; D rm -f pr2 >/dev/null

# ------------------------------------------------------------------ daemonless
DK run -d --name survivor --network none "$BASE" sleep 60 >/dev/null
kill "$API_PID"; wait "$API_PID" 2>/dev/null
t_eq "the service stopped, its socket is gone" "no" "$([ -e "$API_SOCK" ] && echo yes || echo no)"
t_eq "a container it started runs on, bld ps sees it" "survivor running" \
  "$("$BLD" ps --format '{{.Names}} {{.State}}' --filter name=survivor)"
t_api_service
t_eq "a new service sees it too" "survivor" "$(DK ps --format '{{.Names}}')"
