#!/usr/bin/env bash
# tests/e2e/build_args.sh — what the differential cases (tests/diff/cases/40-49) cannot see
# of ARG: the history BuildKit records (an "ARG K=V" entry per ARG with the value decided;
# a RUN's "|N K=V ..." with each name once, its value from the environment, inherited into
# derived stages; proxy args nowhere), and where current BuildKit departs from docker
# 20.10's (0.8): one ARG's later names see its earlier ones (`ARG X=1 Y=${X}2`).
# Progress names expand variables as BuildKit names its vertices (docker 20.10 names them alike).
. "$(dirname "$0")/lib.sh"

t_busybox_registry


mkdir -p "$T_DIR/ctx"
cat >"$T_DIR/ctx/Dockerfile" <<DF
FROM $BASE AS first
ARG V=1
ARG V=2
ENV V=env
ARG W
ARG X=1 Y=\${X}2
RUN echo "\$Y" > /y
FROM first
ARG Z
RUN true
DF
out=$("$BLD" build -q -t args --build-arg Z=cli --build-arg HTTP_PROXY=http://proxy.invalid "$T_DIR/ctx" 2>&1)
t_match "the build succeeds" '^sha256:' "$out"
t_eq "history: ARG entries with their values, RUN with each build arg once" \
'ARG V=1
ARG V=2
ENV V=env
ARG W
ARG X=1 Y=12
RUN |4 V=env W= X=1 Y=12 /bin/sh -c echo "$Y" > /y # buildkit
ARG Z=cli
RUN |5 V=env W= X=1 Y=12 Z=cli /bin/sh -c true # buildkit' "$(t_history args "[2:][]")"
"$BLD" build -q -o "type=local,dest=$T_DIR/out" "$T_DIR/ctx" >/dev/null 2>&1
t_eq "one ARG's later names see its earlier ones (BuildKit 0.12+)" "12" "$(cat "$T_DIR/out/y" 2>&1)"
out=$("$BLD" build --progress=plain "$T_DIR/ctx" 2>&1)
t_match "progress names expand the stage's variables, keeping a RUN's quotes (as BuildKit)" \
  '\[first 2/2\] RUN echo "12" > /y' "$out"
sed -i 's/^RUN true$/run echo $Z "$UNSET" \x27$Z\x27/' "$T_DIR/ctx/Dockerfile"
out=$("$BLD" build --progress=plain --build-arg Z=cli "$T_DIR/ctx" 2>&1)
t_match "... an unset name stays as written and the keyword is upper-cased" \
  "\\[stage-1 2/2\\] RUN echo cli \"\\\$UNSET\" '\\\$Z'" "$out"

# COPY/ADD: --chown and --chmod are expanded (--chmod since dockerfile 1.10.0, moby/buildkit
# 22fbeaf78; docker 20.10 leaves it unexpanded and falls back to 0644), and the history
# names --chown/--chmod (dockerfile 1.7.0) and the destination as written, before WORKDIR
mkdir -p "$T_DIR/copy"
cat >"$T_DIR/copy/Dockerfile" <<DF
FROM $BASE
WORKDIR /w
ARG MODE=0741 OWNER=1:2 D=rel
COPY --chown=\$OWNER --chmod=\$MODE <<EOF \$D
x
EOF
DF
"$BLD" build -q -t copyargs "$T_DIR/copy" >/dev/null 2>&1
"$BLD" build -q -o "type=local,dest=$T_DIR/copy.out" "$T_DIR/copy" >/dev/null 2>&1
t_eq "COPY --chown=\$OWNER --chmod=\$MODE: both expanded" "741 1:2" \
  "$(stat -c '%a %u:%g' "$T_DIR/copy.out/w/rel" 2>&1)"
t_eq "COPY history: flags, heredoc word, destination as written" \
  "COPY --chown=1:2 --chmod=0741 <<EOF rel # buildkit" "$(t_history copyargs "[-1]")"
