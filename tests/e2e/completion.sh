#!/usr/bin/env bash
# Shell completion: bash's completion function driven through COMP_WORDS/COMP_CWORD completes
# every command the table lists (bld --help, bld compose --help), every option of each
# command's --help, and live names from a test store: images, containers (names and IDs),
# networks, volumes, compose services (of -f's file too), files for build -f. zsh's and fish's
# scripts ask the same and are driven once each.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T_DIR/bin" "$T_DIR/w" && ln -s "$BLD" "$T_DIR/bin/bld"
export PATH=$T_DIR/bin:$PATH
"$BLD" completion bash >"$T_DIR/bld.bash"
cd "$T_DIR/w" || exit 1
# comp WORD... — what bash offers for the last WORD (one a line, sorted)
comp() {
  bash -c '. "$0"; COMP_WORDS=(bld "$@"); COMP_CWORD=$#; _bld; printf "%s\n" "${COMPREPLY[@]}"' \
    "$T_DIR/bld.bash" "$@" | sort
}
has() { grep -qxF -- "$2" <<<"$1"; }

# every command of the table, by a prefix of its last word
cmds=()
while read -r c; do cmds+=("$c"); done < <("$BLD" --help | awk -F '  +' '/^Commands:/{f=1;next} /^$/{f=0} f{print $2}')
while read -r c; do cmds+=("compose $c"); done < <("$BLD" compose --help | awk -F '  +' '/^Commands:/{f=1;next} /^$/{f=0} f{print $2}')
for c in "${cmds[@]}"; do
  read -ra w <<<"$c"
  last=${w[-1]}
  got=$(comp "${w[@]:0:${#w[@]}-1}" "${last:0:2}")
  has "$got" "$last" && t_pass "completes bld $c" || t_fail "completes bld $c" "offered: $got"
  # every option --help lists, and nothing else
  # shellcheck disable=SC2086
  want=$("$BLD" $c --help | sed -n '/^Options:/,/^$/p' | grep -oE '^  (-[^ ], )? *--[a-zA-Z0-9-]+' | grep -oE -- '--[a-zA-Z0-9-]+' | sort)
  t_eq "options of bld $c" "$want" "$(comp "${w[@]}" --)"
done
t_eq "the global options" "$("$BLD" --help | sed -n '/^Global Options:/,/^$/p' | grep -oE -- '--[a-z-]+' | sort)" "$(comp --)"
t_eq "a global option's values" "$(printf '%s\n' debug error info warn)" "$(comp --log-level '')"
t_eq "completion's shells" "$(printf '%s\n' bash fish zsh)" "$(comp completion '')"

# live values from the store
mkdir -p "$T_DIR/tiny/bin" && echo hi >"$T_DIR/tiny/hi" && tar -C "$T_DIR/tiny" -cf "$T_DIR/tiny.tar" .
"$BLD" import "$T_DIR/tiny.tar" comp/tiny:1 >/dev/null
id=$("$BLD" create --name comp-ctr comp/tiny:1 /hi)
at_exit '"$BLD" rm -f comp-ctr >/dev/null 2>&1'
"$BLD" network create compnet >/dev/null && at_exit '"$BLD" network rm compnet >/dev/null 2>&1'
"$BLD" volume create compvol >/dev/null
t_eq "image names for run" "comp/tiny:1" "$(comp run comp/)"
t_eq "... after run's options" "comp/tiny:1" "$(comp run --rm -e A=1 --name x co)"
t_eq "... nothing once the image is given (its command follows)" "" "$(comp run comp/tiny:1 co)"
t_eq "image names for image rm" "comp/tiny:1" "$(comp image rm c)"
t_eq "container names and IDs for rm" "$(printf '%s\n' "${id:0:12}" comp-ctr | sort)" \
  "$(comp rm -f '' | grep -E "^(comp-ctr|${id:0:12})$")"
t_eq "container names for exec" "comp-ctr" "$(comp exec -it com)"
t_eq "containers and images for inspect" "$(printf '%s\n' comp-ctr comp/tiny:1)" "$(comp inspect comp)"
t_ok "network names for network rm" has "$(comp network rm '')" compnet
t_eq "... and for run --network" "compnet" "$(comp run --network comp)"
t_eq "volume names for volume rm" "compvol" "$(comp volume rm comp)"
touch Dockerfile Dockerfile.dev
t_eq "Dockerfile paths for build -f" "$(printf '%s\n' Dockerfile Dockerfile.dev)" "$(comp build -f Dock)"
printf 'services:\n  web: {image: comp/tiny:1}\n  db: {image: comp/tiny:1}\n' >compose.yaml
printf 'services:\n  other: {image: comp/tiny:1}\n' >other.yaml
t_eq "compose services" "$(printf '%s\n' db web)" "$(comp compose logs -f '')"
t_eq "... of the file -f names" "other" "$(comp compose -f other.yaml restart '')"
t_eq "volumes and paths for run -v" "$(printf '%s\n' compose.yaml compvol)" "$(comp run -v comp)"
t_eq "compose's commands after its options" "unpause" "$(comp compose -p x unp)"
# with bash-completion loaded, a name with a colon completes past it (COMP_WORDBREAKS)
got=$(bash -c '. /usr/share/bash-completion/bash_completion; . "$0"
  COMP_LINE="bld run comp/tiny:"; COMP_POINT=${#COMP_LINE}
  COMP_WORDS=(bld run comp/tiny :); COMP_CWORD=3; _bld; printf "%s\n" "${COMPREPLY[@]}"' "$T_DIR/bld.bash")
t_eq "with bash-completion, the tag after the colon" "1" "$got"

# zsh: the script's function with compadd and _files standing in for the completion system
got=$(zsh -c 'compdef() { :; }; compadd() { shift; print -l -- "$@"; }; _files() { print FILES; }
  source <(bld completion zsh); words=(bld image rm c); CURRENT=4; _bld')
t_eq "zsh completes image names" "comp/tiny:1" "$got"
# fish: its own completion engine
got=$(fish -c 'bld completion fish | source; complete -C "bld volume rm comp"')
t_eq "fish completes volume names" "compvol" "$got"
