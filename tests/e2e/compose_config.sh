#!/usr/bin/env bash
# bld compose config: every valid project under tests/fixtures/compose/config/ prints, as
# JSON, a model that validates against compose-spec.json (python3-jsonschema), equals the
# expected long form written from the spec and compose-go's tests, reads back the same from
# the YAML output, and agrees with docker-compose 1.29.2 where both normalise alike; invalid
# inputs are refused with FILE:LINE and docker compose's exit status 1; the list flags and
# the config hash.
. "$(dirname "$0")/lib.sh"
FIX=$TOP/tests/fixtures/compose/config
CHECK="python3 $TOP/tests/e2e/compose_check.py"
SCHEMA=$TOP/deploy/compose-spec.json

for dir in "$FIX"/*/; do
  dir=${dir%/} name=$(basename "$dir")
  out=$T_DIR/$name.json
  if ! "$BLD" compose -f "$dir/compose.yaml" -p test config --format json >"$out" 2>"$T_DIR/err"; then
    t_fail "$name: config" "$(cat "$T_DIR/err")"
    continue
  fi
  t_ok "$name: the output validates against compose-spec.json" $CHECK schema "$SCHEMA" "$out"
  t_ok "$name: the long form docker compose v2 prints" $CHECK expect "$dir/expected.json" "$out" "$dir"
  "$BLD" compose -f "$dir/compose.yaml" -p test config >"$T_DIR/$name.yaml"
  t_ok "$name: the YAML output reads back as the JSON" $CHECK yaml "$T_DIR/$name.yaml" "$out"
  if docker-compose -f "$dir/compose.yaml" -p test config >"$T_DIR/$name.v1.yaml" 2>/dev/null; then
    t_ok "$name: docker-compose 1.29.2 agrees where it normalises alike" \
      $CHECK v1 "$T_DIR/$name.v1.yaml" "$out"
  fi
done

# every compose file of compose-go's test inputs: the valid ones print a model the schema
# accepts; the others are refused as compose-go refuses them (alone, as -f)
declare -A refused=(
  [loader/testdata/compose-depends-on-cycle.yaml]="dependency cycle detected: service1 -> service2 -> service3 -> service1"
  [loader/testdata/compose-depends-on-profile-no-cycle.yaml]="dependency cycle detected"
  [loader/testdata/compose-depends-on-self.yaml]="dependency cycle detected: service1 -> service1"
  [loader/testdata/compose-include-cycle.yaml]="include cycle detected"
  [loader/testdata/empty.yaml]="empty compose file"
  [loader/testdata/extends/base.yaml]="base.yaml:25: services.nil must be a mapping"
  [loader/testdata/include/dir/compose.yaml]="env file .*/extra.env not found"
)
cd "$TOP/tests/fixtures/compose"
while IFS= read -r -d '' f; do
  f=${f#./}
  out=$(cd "$(dirname "$f")" && "$BLD" compose -f "$(basename "$f")" -p t config --format json 2>&1 >"$T_DIR/cg.json")
  rc=$?
  if [ -n "${refused[$f]:-}" ]; then
    t_match "compose-go's $f is refused" "${refused[$f]}" "$out"
  elif [ "$rc" = 0 ]; then
    t_ok "compose-go's $f: the output validates against compose-spec.json" $CHECK schema "$SCHEMA" "$T_DIR/cg.json"
  else
    t_fail "compose-go's $f loads" "$out"
  fi
done < <(find loader cli -name '*.yaml' -print0 | sort -z)
cd - >/dev/null

# invalid inputs: FILE:LINE and compose-go's words, exit 1 as docker compose
bad() { # NAME LINE REGEX YAML
  printf '%b' "$4" >"$T_DIR/bad.yaml"
  local err rc
  err=$("$BLD" compose -f "$T_DIR/bad.yaml" -p test config 2>&1 >/dev/null); rc=$?
  t_eq "$1: exit status 1" 1 "$rc"
  t_match "$1: FILE:LINE and why" "^bld: $T_DIR/bad.yaml:$2: $3\$" "$err"
}
bad "unknown key" 4 "services.web additional properties 'foo' not allowed" \
  'services:\n  web:\n    image: x\n    foo: 1\n'
bad "wrong type" 3 "services.web.image must be a string" 'services:\n  web:\n    image: [x]\n'
bad "bad duration" 5 'services.web.healthcheck.interval: time: invalid duration "10x"' \
  'services:\n  web:\n    image: x\n    healthcheck:\n      interval: 10x\n'
bad "bad size" 4 "services.web.mem_limit: invalid size: '1q'" \
  'services:\n  web:\n    image: x\n    mem_limit: 1q\n'
bad "cycle" 4 "dependency cycle detected: a -> b -> a" \
  'services:\n  a:\n    image: x\n    depends_on: [b]\n  b:\n    image: x\n    depends_on: [a]\n'
bad "missing service" 4 'service "a" depends on undefined service "c": invalid compose project' \
  'services:\n  a:\n    image: x\n    depends_on: [c]\n'
bad "missing volume" 4 'service "a" refers to undefined volume data: invalid compose project' \
  'services:\n  a:\n    image: x\n    volumes: ["data:/d"]\n'
bad "bad port" 5 "services.web.ports.0: invalid containerPort: abc" \
  'services:\n  web:\n    image: x\n    ports:\n      - "80:abc"\n'
bad "wrong enum" 6 "services.a.depends_on.b.condition value must be one of 'service_started', 'service_healthy', 'service_completed_successfully'" \
  'services:\n  a:\n    image: x\n    depends_on:\n      b:\n        condition: soon\n  b:\n    image: x\n'

# a swarm-only attribute is warned about with its line, and ignored
printf 'services:\n  a:\n    image: x\n    deploy:\n      placement:\n        constraints: [node.role==manager]\n' >"$T_DIR/swarm.yaml"
t_match "a swarm attribute is warned about" \
  "^bld: warning: $T_DIR/swarm.yaml:5: services.a.deploy.placement: not supported" \
  "$("$BLD" compose -f "$T_DIR/swarm.yaml" -p test config 2>&1 >/dev/null)"

# the obsolete top-level version: compose v2's warning, and dropped
printf 'version: "3.9"\nservices:\n  a:\n    image: x\n' >"$T_DIR/ver.yaml"
t_match "version: warned about as obsolete" \
  "^bld: warning: $T_DIR/ver.yaml: the attribute \`version\` is obsolete, it will be ignored" \
  "$("$BLD" compose -f "$T_DIR/ver.yaml" -p test config 2>&1 >/dev/null)"
t_eq "... and dropped" "" "$("$BLD" compose -f "$T_DIR/ver.yaml" -p test config 2>/dev/null | grep '^version')"

# the lists: services, volumes, images (build: <project>-<service>), profiles
P="$BLD compose -f $FIX/shortforms/compose.yaml -p test config"
t_eq "--services" "db web" "$(echo $($P --services))"
t_eq "--volumes" "named" "$($P --volumes)"
t_eq "--images" "postgres web:latest" "$(echo $($P --images))"
t_eq "--networks" "default" "$($P --networks)"
t_eq "-q prints nothing" "" "$($P -q)"
$P --format json -o "$T_DIR/o.json"
t_ok "-o writes the output to a file" $CHECK schema "$SCHEMA" "$T_DIR/o.json"
printf 'services:\n  a:\n    image: x\n    profiles: [dev, test]\n  b:\n    image: y\n    profiles: [dev]\n' >"$T_DIR/prof.yaml"
t_eq "--profiles: every service's profiles once, sorted, active or not" "dev test" \
  "$(echo $("$BLD" compose -f "$T_DIR/prof.yaml" -p test config --profiles))"
t_eq "SERVICE selects it and what it depends on" "db web" \
  "$($P --format json web | python3 -c 'import json,sys; print(*sorted(json.load(sys.stdin)["services"]))')"

# --no-interpolate: compose's raw model, what may hold ${...} left as written, maps sorted
printf 'services:\n  a:\n    image: "x:${TAG}"\n    ports: ["${PORT}:80", "90:90"]\n    mem_limit: ${MEM}\n    healthcheck:\n      interval: ${IV}\n' >"$T_DIR/raw.yaml"
t_eq "--no-interpolate keeps \${...} where compose does" \
  '["${PORT}:80", {"mode": "ingress", "protocol": "tcp", "published": "90", "target": 90}] ${MEM} ${IV} x:${TAG}' \
  "$("$BLD" compose -f "$T_DIR/raw.yaml" -p test config --no-interpolate --format json |
     python3 -c 'import json,sys; a=json.load(sys.stdin)["services"]["a"]; print(json.dumps(a["ports"]), a["mem_limit"], a["healthcheck"]["interval"], a["image"])')"

# the config hash: 64 hex digits per service; environment changes it, depends_on and scale do not
hash_of() { printf '%b' "$1" >"$T_DIR/h.yaml"; "$BLD" compose -f "$T_DIR/h.yaml" -p test config --hash a | cut -d' ' -f2; }
h1=$(hash_of 'services:\n  a:\n    image: x\n    environment: [A=1]\n  b:\n    image: y\n')
t_match "--hash prints a sha256" '^[0-9a-f]{64}$' "$h1"
h2=$(hash_of 'services:\n  a:\n    image: x\n    environment: [A=2]\n  b:\n    image: y\n')
h3=$(hash_of 'services:\n  a:\n    image: x\n    environment: [A=1]\n    depends_on: [b]\n    scale: 2\n  b:\n    image: y\n')
t_eq "a changed environment changes the hash" "different" "$([ "$h1" != "$h2" ] && echo different)"
t_eq "depends_on and scale do not" "$h1" "$h3"
t_eq "--hash '*' lists every service" "a b" \
  "$(echo $("$BLD" compose -f "$T_DIR/h.yaml" -p test config --hash '*' | cut -d' ' -f1))"

# --resolve-image-digests: the tag pinned to the digest the registry serves for it
t_busybox_registry
printf 'services:\n  a:\n    image: %s\n' "$BASE" >"$T_DIR/dig.yaml"
want=$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$BASE")
t_eq "--resolve-image-digests pins the image to its registry digest" "$BASE@$want" \
  "$("$BLD" compose -f "$T_DIR/dig.yaml" -p test config --resolve-image-digests --format json |
     python3 -c 'import json,sys; print(json.load(sys.stdin)["services"]["a"]["image"])')"
