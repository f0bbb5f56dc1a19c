#!/usr/bin/env bash
# bld compose's project options, end to end through `bld compose config`: file discovery
# from a subdirectory with the .override file, several -f merged, -f - (stdin),
# COMPOSE_FILE, --project-directory, .env and --env-file with the environment winning,
# COMPOSE_PROJECT_NAME and -p (refused when not normalised), --profile and COMPOSE_PROFILES,
# and refusals naming FILE:LINE with exit status 1 (a YAML syntax error, a required variable
# missing). Where docker-compose 1.29.2 has the feature, it is asked the same and agrees.
. "$(dirname "$0")/lib.sh"
P=$T_DIR/proj
mkdir -p "$P/sub/deeper"
cat >"$P/compose.yaml" <<'EOF'
services:
  web:
    image: "web:${TAG:-latest}"
    environment:
      - MODE=${MODE}
  debug:
    image: busybox
    profiles: [debug]
EOF
cat >"$P/compose.override.yaml" <<'EOF'
services:
  web:
    environment:
      - EXTRA=1
  db:
    image: "db:${DB_TAG:-15}"
EOF
printf 'TAG=from-dotenv\nMODE=dotenv\n' >"$P/.env"
printf 'TAG=from-envfile\n' >"$T_DIR/other.env"

cfg() { "$BLD" compose "$@" config --format json; }
field() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval("d"+sys.argv[1]))' "$1"; }
services() { "$BLD" compose "$@" config --services | sort | tr '\n' ' '; }
v1_services() { docker-compose "$@" config --services 2>/dev/null | sort | tr '\n' ' '; }

# discovery: the nearest parent with compose.yaml, its override, the project named after it
out=$(cd "$P/sub/deeper" && env -u TAG -u MODE "$BLD" compose config --format json)
t_eq "discovered from a subdirectory: name from the directory" proj "$(field '["name"]' <<<"$out")"
t_eq "... with the .override file merged" "db:15" "$(field '["services"]["db"]["image"]' <<<"$out")"
t_eq "... and the project's .env read" "web:from-dotenv" "$(field '["services"]["web"]["image"]' <<<"$out")"
t_eq "docker-compose 1.29.2 discovers the same services" \
  "$(cd "$P/sub/deeper" && v1_services --profile debug)" "$(cd "$P/sub/deeper" && services --profile debug)"

# the environment wins over .env; --env-file replaces .env
t_eq "the environment wins over .env" "web:shell" \
  "$(cd "$P" && TAG=shell cfg | field '["services"]["web"]["image"]')"
out=$(cd "$P" && unset TAG MODE && cfg --env-file "$T_DIR/other.env" 2>/dev/null)
t_eq "--env-file is read instead of .env" "web:from-envfile" "$(field '["services"]["web"]["image"]' <<<"$out")"
t_eq "... and a variable only .env had is unset then" "MODE=" \
  "MODE=$(field '["services"]["web"]["environment"]["MODE"]' <<<"$out")"

# several -f merged in order; -f - reads stdin; COMPOSE_FILE with its separator
printf 'services:\n  web:\n    image: second\n' >"$T_DIR/second.yaml"
t_eq "-f twice: the later file overrides" second \
  "$(cfg -f "$P/compose.yaml" -f "$T_DIR/second.yaml" | field '["services"]["web"]["image"]')"
t_eq "-f - reads the file from stdin" stdin \
  "$(printf 'services:\n  s:\n    image: stdin\n' | cfg -p x -f - | field '["services"]["s"]["image"]')"
t_eq "COMPOSE_FILE lists the files (path separator)" second \
  "$(cd "$T_DIR" && COMPOSE_FILE="$P/compose.yaml:second.yaml" cfg | field '["services"]["web"]["image"]')"
t_eq "docker-compose 1.29.2 merges the same services" \
  "$(COMPOSE_FILE="$P/compose.yaml:$P/compose.override.yaml" v1_services --profile debug)" \
  "$(COMPOSE_FILE="$P/compose.yaml:$P/compose.override.yaml" services --profile debug)"

# --project-directory: relative paths and .env from there
mkdir -p "$T_DIR/pd"
printf 'TAG=pd\n' >"$T_DIR/pd/.env"
printf 'services:\n  b:\n    build: ./ctx\n    image: "b:${TAG}"\n' >"$T_DIR/pd.yaml"
out=$(cd / && env -u TAG "$BLD" compose -f "$T_DIR/pd.yaml" --project-directory "$T_DIR/pd" config --format json)
t_eq "--project-directory: build context relative to it" "$T_DIR/pd/ctx" "$(field '["services"]["b"]["build"]["context"]' <<<"$out")"
t_eq "... and its .env read" "b:pd" "$(field '["services"]["b"]["image"]' <<<"$out")"

# names: COMPOSE_PROJECT_NAME, -p over it, -p refused when not normalised
t_eq "COMPOSE_PROJECT_NAME names the project" fromenv \
  "$(cd "$P" && COMPOSE_PROJECT_NAME=fromenv cfg | field '["name"]')"
t_eq "-p wins over COMPOSE_PROJECT_NAME" cli \
  "$(cd "$P" && COMPOSE_PROJECT_NAME=fromenv cfg -p cli | field '["name"]')"
err=$(cd "$P" && "$BLD" compose -p My.App config 2>&1); rc=$?
t_eq "-p My.App: exit status 1" 1 "$rc"
t_match "... with compose's words" '^bld: invalid project name "My.App": must consist only of lowercase alphanumeric characters' "$err"

# profiles: --profile, COMPOSE_PROFILES, a service without profiles always on
t_eq "no profile: debug is off (docker-compose 1.29.2's config --services lists it anyway)" \
  "db web " "$(cd "$P" && services)"
t_eq "--profile debug turns it on" "db debug web " "$(cd "$P" && services --profile debug)"
t_eq "COMPOSE_PROFILES=debug too" "db debug web " "$(cd "$P" && COMPOSE_PROFILES=debug services)"
t_eq "docker-compose 1.29.2 selects the same with --profile" "$(cd "$P" && v1_services --profile debug)" \
  "$(cd "$P" && services --profile debug)"

# refusals: FILE:LINE, exit 1
printf 'services:\n  web:\n    image: x\n     bad: indent\n' >"$T_DIR/syntax.yaml"
err=$("$BLD" compose -f "$T_DIR/syntax.yaml" config 2>&1); rc=$?
t_eq "a YAML syntax error: exit status 1" 1 "$rc"
t_match "... naming FILE:LINE" "^bld: $T_DIR/syntax.yaml:4: mapping values are not allowed in this context\$" "$err"
printf 'services:\n  web:\n    image: "app:${TAG:?set TAG}"\n' >"$T_DIR/req.yaml"
err=$(env -u TAG "$BLD" compose -f "$T_DIR/req.yaml" config 2>&1); rc=$?
t_eq "a required variable missing: exit status 1" 1 "$rc"
t_match "... naming FILE:LINE and compose's message" \
  "^bld: $T_DIR/req.yaml:3: error while interpolating services.web.image: required variable TAG is missing a value: set TAG\$" "$err"
env -u TAG docker-compose -f "$T_DIR/req.yaml" config >/dev/null 2>&1
t_eq "docker-compose 1.29.2 refuses it with exit status 1 too" 1 "$?"
err=$("$BLD" compose -f "$T_DIR/missing.yaml" config 2>&1); rc=$?
t_eq "-f of a missing file: exit status 1" 1 "$rc"
t_eq "... with compose's words" "bld: open $T_DIR/missing.yaml: no such file or directory" "$err"
err=$(cd "$T_DIR/pd" && "$BLD" compose config 2>&1); rc=$?
t_eq "no compose file: exit status 1" 1 "$rc"
t_eq "... with compose's words" "bld: no configuration file provided: not found" "$err"
t_finish
