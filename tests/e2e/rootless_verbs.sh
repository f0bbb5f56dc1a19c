#!/usr/bin/env bash
# tests/e2e/rootless_verbs.sh — the everyday commands as an ordinary user, once with
# subordinate ids and once without (tests/run-e2e.sh makes the user, as the line below asks):
# pull and push with the test registry, build (COPY, RUN, a cached rebuild), run --rm, run -d
# with a named volume, exec, logs, rm -f, the volume's data in the next container; a network
# (create, a server on it published on 127.0.0.1 and reached by name, a container of the
# default network connected, restarted with it, disconnected; rm, its bridge gone from the
# user's network namespace); and a compose project (on network_mode none: make e2e-rootless
# runs compose_up.sh, a project on a network of its own) up, ps, exec, logs and down -v,
# leaving nothing. The whole suites of these commands pass so too (BLD_E2E_ROOTLESS,
# README.md; for networks network.sh, runner_net.sh, net_attach.sh and net_dns.sh); this is
# their lean selection for make check.
# e2e-rootless: ranges single
. "$(dirname "$0")/lib.sh"

t_busybox_registry
B() { "$BLD" "$@"; }
at_exit '"$BLD" rm -f $("$BLD" ps -aq) >/dev/null 2>&1'
t_ok "pull" B pull -q "$BASE"
want="0 $(id -u "${BLD_E2E_USER:-nobody}") 1"
[ "${BLD_E2E_ROOTLESS:-}" = ranges ] && want="$want 1 400000 65536"
t_eq "bld runs as the user, with its ranges mapped or the user alone" "$want" \
  "$(B run --rm --network none "$BASE" cat /proc/self/uid_map 2>&1 | awk '{print $1, $2, $3}' | paste -sd' ')"

ctx=$T_DIR/ctx
mkdir -p "$ctx"
printf 'FROM %s\nCOPY f /f\nRUN cat /f >/g && echo built >>/g\nCMD ["cat", "/g"]\n' "$BASE" \
  >"$ctx/Dockerfile"
echo from-ctx >"$ctx/f"
APP=$REG_ADDR/rl/app:1
t_ok "build: COPY and RUN" B build -q -t "$APP" "$ctx"
t_eq "a rebuild is all cached" "CACHED CACHED" \
  "$(B build --progress plain -t "$APP" "$ctx" 2>&1 | awk '$2 == "CACHED" {print $2}' | paste -sd' ')"
# where no overlay can be mounted a RUN step runs on a copy of its layers (BLD_OVERLAY=copy
# forces that) and its layer is the copy's diff: the image the overlay gives, deletions too
printf 'FROM %s\nRUN mkdir -p /d/e && echo x >/d/e/f && echo h >/h\nRUN rm -rf /d /home /etc/group && mkdir /d && echo n >/d/n && ln /h /h2 && chmod 600 /h\n' \
  "$BASE" >"$T_DIR/Dockerfile.copy"
ov=$(SOURCE_DATE_EPOCH=0 B build -q --no-cache -f "$T_DIR/Dockerfile.copy" "$ctx" 2>&1)
t_match "build on $(B info --format '{{.Driver}}'): RUN steps deleting and replacing" '^sha256:' "$ov"
t_eq "... on a copied root (BLD_OVERLAY=copy): the same image" "$ov" \
  "$(BLD_OVERLAY=copy SOURCE_DATE_EPOCH=0 B build -q --no-cache -f "$T_DIR/Dockerfile.copy" "$ctx" 2>&1)"
# ... and a container's diff and commit are read from its copy against the image
for m in kernel copy; do
  BLD_OVERLAY=$m B run --network none --name "d$m" "$BASE" sh -c 'rm -rf /home /bin/vi; echo x >/f; ln /etc/group /g' \
    >/dev/null 2>&1
done
t_eq "diff of a container on a copied root: the lines the overlay gives" "$(B diff dkernel)" "$(B diff dcopy)"
t_eq "... its commit holds the changes (a hard link too)" "x 2 gone" "$(B commit dcopy >"$T_DIR/dcopy.id" &&
  B run --rm --network none "$(cat "$T_DIR/dcopy.id")" sh -c 'cat /f; stat -c %h /g; ls /home /bin/vi 2>/dev/null || echo gone' 2>&1 | paste -sd' ')"
B rm -f dkernel dcopy >/dev/null
t_eq "run --rm" "from-ctx built" "$(B run --rm "$APP" 2>/dev/null | paste -sd' ')"
t_ok "push" B push -q "$APP"
B rmi -f "$APP" >/dev/null
t_ok "... and pulled back" B pull -q "$APP"

B run -d --name c1 -v vol:/data "$APP" sh -c 'echo started; echo kept >/data/f; exec sleep 60' \
  >/dev/null 2>&1
for _ in $(seq 50); do [ "$(B logs c1 2>&1)" = started ] && break; sleep 0.1; done
t_eq "logs of run -d" "started" "$(B logs c1 2>&1)"
t_eq "exec" "from-ctx kept" "$(B exec c1 sh -c 'echo $(cat /f /data/f)' 2>&1)"
t_ok "rm -f" B rm -f c1
t_eq "a named volume keeps its data" "kept" "$(B run --rm -v vol:/data "$BASE" cat /data/f 2>/dev/null)"
t_ok "volume rm" B volume rm vol

port=$((20000 + RANDOM % 20000))
t_ok "network create" B network create rn
t_ok "a server on it, -p 127.0.0.1:$port:8080" B run -d --name srv --network rn \
  -p "127.0.0.1:$port:8080" "$BASE" sh -c 'mkdir /www && echo by-name >/www/index.html &&
    exec httpd -f -p 8080 -h /www'
body=
for _ in $(seq 50); do body=$(curl -sf "http://127.0.0.1:$port/") && break; sleep 0.1; done
t_eq "the published port answers on the host's 127.0.0.1" "by-name" "$body"
t_eq "a container on the network reaches the server by its name" "by-name" \
  "$(B run --rm --network rn "$BASE" timeout 5 wget -q -O- http://srv:8080/ 2>/dev/null)"
# on the default network (pasta's), then connected: an interface on rn beside pasta's eth0
B run -d --name cli "$BASE" sleep 60 >/dev/null 2>&1
srv=$(B inspect -f '{{.NetworkSettings.Networks.rn.IPAddress}}' srv 2>/dev/null)
t_ok "network connect" B network connect rn cli
t_eq "... and the connected container reaches the server's address" "by-name" \
  "$(B exec cli timeout 5 wget -q -O- "http://$srv:8080/" 2>/dev/null)"
B restart -t 0 cli >/dev/null 2>&1
t_eq "... and after a restart" "by-name" \
  "$(B exec cli timeout 5 wget -q -O- "http://$srv:8080/" 2>/dev/null)"
t_ok "network disconnect" B network disconnect rn cli
t_eq "... and its interface there is gone" "" "$(B exec cli ip -o -4 addr | grep -F " ${srv%.*}.")"
B rm -f srv cli >/dev/null 2>&1
t_ok "network rm" B network rm rn
t_eq "... its bridge is gone from the user's network namespace" "" \
  "$(t_bld_ns --net ip -o link show type bridge 2>&1)"

P=$T_DIR/proj
mkdir -p "$P"
cat >"$P/compose.yaml" <<EOF
services:
  svc:
    image: $APP
    network_mode: none
    init: true
    command: ["sh", "-c", "echo up; echo in-volume >/data/v; exec sleep 60"]
    volumes: ["data:/data"]
volumes:
  data: {}
EOF
cd "$P" || exit 1
t_ok "compose up -d" B compose up -d
t_match "compose ps" '^proj-svc-1 .* Up ' "$(B compose ps 2>&1)"
# the service writes /data/v once started: up -d may return before
t_eq "compose exec" "in-volume" "$(B compose exec -T svc sh -c \
  'for i in $(seq 50); do [ -s /data/v ] && break; sleep 0.1; done; cat /data/v' 2>&1)"
t_match "compose logs" 'svc-1 +\| up$' "$(B compose logs 2>&1)"
t_ok "compose down -v" B compose down -v
t_eq "nothing left" "" "$(B ps -aq)$(B volume ls -q)$(B network ls -q --filter type=custom)"
