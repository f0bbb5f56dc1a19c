#!/usr/bin/env bash
# tests/e2e/compose_build_ctx.sh — what compose's build: section hands the builder beyond
# context and dockerfile, as compose v2 hands it to BuildKit: additional_contexts (list and
# map forms, relative paths from the project directory, "service:NAME" as that service's
# image, which is built first), extra_hosts (list and map forms) into RUN steps' /etc/hosts,
# shm_size for their /dev/shm, and ssh with a key file given relative to the project
# directory; none of them is warned about any more. Run from another directory than the
# project's, so that nothing relative resolves by chance.
. "$(dirname "$0")/lib.sh"
t_busybox_registry
B() { "$BLD" "$@"; }

p=$T_DIR/p
mkdir -p "$p/base" "$p/app/tools/lib" "$p/shared" "$p/keys"
printf 'FROM %s\nRUN echo built-base > /base-marker\n' "$BASE" >"$p/base/Dockerfile"
echo shared-file >"$p/shared/f.txt"
# the host's ssh-add and its libraries, run in the busybox step by its loader
cp /usr/bin/ssh-add "$p/app/tools/" || t_fail "ssh-add is installed (packages/builder.txt)"
for l in $(ldd /usr/bin/ssh-add | grep -oE '/[^ ]+'); do cp -L "$l" "$p/app/tools/lib/"; done
SSHADD="/tools/lib/$(basename "$(ldd /usr/bin/ssh-add | grep -oE '/[^ ]*ld-linux[^ ]*')") --library-path /tools/lib /tools/ssh-add"
ssh-keygen -q -t ed25519 -N '' -C composekey@bld -f "$p/keys/id"
cat >"$p/app/Dockerfile" <<DF
FROM b
COPY --from=src f.txt /f.txt
RUN cat /etc/hosts > /hosts; df -k /dev/shm | awk 'NR==2 {print \$2}' > /shm
RUN --mount=type=ssh,id=mykey,required --mount=type=bind,source=tools,target=/tools $SSHADD -l > /keys
DF
cat >"$p/compose.yaml" <<EOF
name: bctx
services:
  app:
    build:
      context: ./app
      additional_contexts: [src=./shared, b=service:base]
      extra_hosts: [a.example=10.1.2.3, "b.example:10.1.2.4"]
      shm_size: 128m
      ssh: [mykey=./keys/id]
  app2:
    build:
      dockerfile_inline: |
        FROM $BASE
        COPY --from=src f.txt /f.txt
        RUN grep example /etc/hosts > /hosts
      additional_contexts: {src: ./shared}
      extra_hosts: {c.example: 10.1.2.5}
  base:
    build: ./base
EOF
cd / || exit 1
out=$(B compose -f "$p/compose.yaml" build 2>&1)
t_eq "compose build of services with additional_contexts, extra_hosts, shm_size, ssh" 0 "$?"
t_ok "none of them is warned about" bash -c "! grep -q 'not supported by bld' <<<\"\$1\"" _ "$out"
t_eq "compose config: the list form's relative path made absolute, as compose v2 prints it" \
  "$p/shared" "$(B compose -f "$p/compose.yaml" config --format json | jq -r .services.app.build.additional_contexts.src)"
run() { B run --rm --network none "$@" 2>&1; }
t_eq "service:base is the base service's image, built first" built-base "$(run bctx-app cat /base-marker)"
t_eq "a list-form context relative to the project directory" shared-file "$(run bctx-app cat /f.txt)"
t_eq "a map-form one" shared-file "$(run bctx-app2 cat /f.txt)"
t_eq "extra_hosts (list, = and : forms) in a RUN step's /etc/hosts" \
  "$(printf '10.1.2.3\ta.example\n10.1.2.4\tb.example')" "$(run bctx-app tail -2 /hosts)"
t_eq "extra_hosts (map form)" "$(printf '10.1.2.5\tc.example')" "$(run bctx-app2 cat /hosts)"
t_eq "shm_size: 128m for RUN steps' /dev/shm" 131072 "$(run bctx-app cat /shm)"
t_match "ssh: a key file relative to the project directory is served to the step" \
  composekey@bld "$(run bctx-app cat /keys)"

# a service: context naming no service is refused
sed -i 's/b=service:base/b=service:nope/' "$p/compose.yaml"
out=$(B compose -f "$p/compose.yaml" build app 2>&1); rc=$?
t_match "service:NAME of an undefined service: refused" \
  'build.additional_contexts b: service "nope" is not defined' "$out"
t_eq "... with compose build's exit code" 1 "$rc"
