#!/usr/bin/env bash
# The three-service project of compose_up.sh (web built from a Dockerfile and published on
# 127.0.0.1, db with a health check, a one-shot migrate that must complete first, a named
# volume) brought up by bld compose and by docker-compose 1.29.2 against a private dockerd:
# both start the services in the same order of conditions, serve on the published port,
# resolve the service names, label the containers with the same com.docker.compose.* keys
# (bld has compose v2's too), name the volume and the network alike, and leave nothing after
# down -v. The differences are docker-compose 1.x's, not bld's: containers named
# <project>_<service>_<n> (v2: dashes), no --wait (polled here), a version label of 1.29.2.
. "$(dirname "$0")/lib.sh"
t_busybox_registry
t_docker_pair
export DOCKER_HOST
t_compose_demo "$T_DIR/b/demo" 18080
t_compose_demo "$T_DIR/d/demo" 18082
get() { for i in $(seq 100); do busybox wget -qO- "$1" 2>/dev/null && return; sleep 0.1; done; }
keys() { "$@" | python3 -c 'import json, sys
print(" ".join(sorted(k for k in json.load(sys.stdin) if k.startswith("com.docker.compose."))))'; }

t_ok "bld compose up -d --wait" sh -c "cd '$T_DIR/b/demo' && '$BLD' compose up -d --wait"
t_ok "docker-compose up -d" sh -c "cd '$T_DIR/d/demo' && docker-compose up -d"
t_eq "both serve on the published port" "hello-from-web hello-from-web" \
  "$(get http://127.0.0.1:18080/) $(get http://127.0.0.1:18082/)"
t_eq "both ran migrate once db was healthy, web after it" "migrated migrated" \
  "$(B exec demo-web-1 cat /data/log) $(D exec demo_web_1 cat /data/log)"
t_eq "both resolve the service names" "db-ready db-ready" \
  "$(B exec demo-web-1 wget -qO- http://db:5432/ready) $(D exec demo_web_1 wget -qO- http://db:5432/ready)"
dk=$(keys D inspect --format '{{json .Config.Labels}}' demo_web_1)
bk=$(keys B inspect --format '{{json .Config.Labels}}' demo-web-1)
t_match "docker-compose's label keys read" 'com.docker.compose.config-hash .*com.docker.compose.service' "$dk"
t_eq "bld has every com.docker.compose label key docker-compose sets" "" \
  "$(comm -23 <(tr ' ' '\n' <<<"$dk" | grep -v environment_file) <(tr ' ' '\n' <<<"$bk"))"
t_eq "the same volume and network names" "demo_data demo_default demo_data demo_default" \
  "$(B volume ls -q) $(B network ls -q --filter name=demo_default --format '{{.Name}}') $(D volume ls -q) $(D network ls --filter name=demo_default --format '{{.Name}}')"
t_ok "bld compose down -v" sh -c "cd '$T_DIR/b/demo' && '$BLD' compose down -v"
t_ok "docker-compose down -v" sh -c "cd '$T_DIR/d/demo' && docker-compose down -v"
t_eq "neither leaves a container, volume or the network" "||" \
  "$(B ps -aq; D ps -aq)|$(B volume ls -q; D volume ls -q)|$(B network ls -q --filter name=demo_; D network ls -q --filter name=demo_)"
