#!/usr/bin/env bash
# tests/e2e/api_compose.sh — docker-compose 1.29.2 (Debian's, docker-py underneath) against
# `bld system service`: up -d of a three-service project in the v3 format (web built with a
# build arg and published on 127.0.0.1, app and db sharing a named volume, all on a project
# network; their image only in the registry, so compose pulls it), ps, logs, top, exec -T (the volume and the service names
# resolved), down -v; the containers, networks and volumes are those `bld compose up -d`
# makes of the same file; and a project bld compose brought up is one docker-compose lists,
# reads the logs of, execs in, recreates and takes down (the com.docker.compose.* labels).
. "$(dirname "$0")/lib.sh"
t_busybox_registry
t_api_service
at_exit '"$BLD" rm -f $("$BLD" ps -aq) >/dev/null 2>&1'
at_exit '"$BLD" network rm demo_back >/dev/null 2>&1; "$BLD" volume rm demo_data >/dev/null 2>&1'
mkdir -p "$T_DIR/demo/web" && cd "$T_DIR/demo" || exit 1
printf 'FROM %s\nARG GREETING\nRUN mkdir -p /www && echo $GREETING >/www/index.html\n' "$BASE" >web/Dockerfile
cat >docker-compose.yml <<EOF
version: "3.8"
services:
  web:
    build: {context: ./web, network: host, args: {GREETING: hello-web}}
    image: demo/web
    init: true
    command: ["httpd", "-f", "-p", "80", "-h", "/www"]
    ports: ["127.0.0.1:18090:80"]
    networks: [back]
    depends_on: [app]
  app:
    image: $BASE
    init: true
    command: ["sh", "-c", "echo app-started; exec sleep 1000"]
    volumes: ["data:/data"]
    networks: [back]
    depends_on: [db]
  db:
    image: $BASE
    init: true
    command: ["sh", "-c", "echo db-ready >/data/ready; echo db-started; exec httpd -f -p 5432 -h /data"]
    volumes: ["data:/data"]
    networks: [back]
networks:
  back: {}
volumes:
  data: {}
EOF
DC() { DOCKER_HOST=unix://$API_SOCK COMPOSE_PROJECT_NAME=demo docker-compose "$@"; }
get() { for _ in $(seq 50); do busybox wget -qO- "$1" 2>/dev/null && return; sleep 0.1; done; }
# NAME STATE PORTS of docker-compose ps, one container a line
psl() { DC ps | awk 'NR > 2 { s = ""; for (i = 1; i <= NF; i++) if ($i == "Up" || $i ~ /->/ || i == 1) s = s " " $i; print substr(s, 2) }'; }
# what a project is made of, as bld sees it: per container its service, networks, volumes and
# published ports; the project's networks and volumes
made() {
  local c
  for c in $("$BLD" ps -aq); do
    "$BLD" inspect "$c" | jq -r '.[0] | [.Config.Labels["com.docker.compose.service"],
      (.NetworkSettings.Networks | keys | join(",")), ([.Mounts[] | .Name // empty] | join(",")),
      ([.HostConfig.PortBindings // {} | to_entries[] | "\(.value[0].HostIp):\(.value[0].HostPort)->\(.key)"] | join(","))] | join(" ")'
  done | sort
  "$BLD" network ls --format '{{.Name}}' | grep '^demo' | sort
  "$BLD" volume ls -q | sort
}

t_ok "docker-compose up -d (web built, the others' image pulled through the API)" DC up -d
t_eq "docker-compose ps: the three containers up, web's port published" \
  "demo_app_1 Up|demo_db_1 Up|demo_web_1 Up 127.0.0.1:18090->80/tcp" "$(psl | paste -sd'|')"
logs=$(DC logs --no-color 2>&1)
t_match "docker-compose logs: app's output" "app_1 +\| app-started" "$logs"
t_match "... and db's" "db_1 +\| db-started" "$logs"
t_match "docker-compose top: each service's processes under its container's name" \
  "demo_app_1 UID .* sleep 1000 +demo_db_1 UID .* httpd -f -p 5432" "$(DC top app db 2>&1 | paste -sd' ')"
t_eq "docker-compose exec -T: the volume db wrote, by app" "db-ready" "$(DC exec -T app cat /data/ready 2>&1)"
t_eq "... db by its service name on the project network" "db-ready" "$(DC exec -T app wget -qO- http://db:5432/ready 2>&1)"
t_eq "web serves on the published port" "hello-web" "$(get http://127.0.0.1:18090/)"
dc_made=$(made)
t_ok "docker-compose down -v" DC down -v
t_eq "... leaves no container, network or volume" "" "$(made)"

t_ok "bld compose up -d of the same file" "$BLD" compose up -d
t_eq "the same containers, networks and volumes as docker-compose's" "$dc_made" "$(made)"
t_eq "docker-compose ps lists bld compose's project" \
  "demo-app-1 Up|demo-db-1 Up|demo-web-1 Up 127.0.0.1:18090->80/tcp" "$(psl | paste -sd'|')"
t_match "docker-compose logs of bld compose's containers" "demo-db-1 +\| db-started" "$(DC logs --no-color 2>&1)"
t_eq "docker-compose exec -T in bld compose's app" "db-ready" "$(DC exec -T app cat /data/ready 2>&1)"
t_ok "docker-compose up -d over it: recreated its way (another config hash)" DC up -d
t_eq "... docker-compose's containers now" "demo_app_1 Up|demo_db_1 Up|demo_web_1 Up 127.0.0.1:18090->80/tcp" \
  "$(psl | paste -sd'|')"
t_ok "docker-compose down -v" DC down -v
t_eq "... leaves nothing" "" "$(made)"
