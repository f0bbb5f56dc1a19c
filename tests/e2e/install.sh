#!/usr/bin/env bash
# make install / make uninstall: every file where the FHS puts it for PREFIX (and /etc/bld for
# the config, whatever the prefix), the units pointed at the installed binary, a config that is
# present never overwritten, and uninstall leaving the staged tree empty. The manual pages are
# those bld writes from its command table, plus doc/'s.
. "$(dirname "$0")/lib.sh"

mk() { make -s --no-print-directory -C "$TOP" "$@" >/dev/null; }
files() { (cd "$1" && find . -type f -printf '/%P\n' | sort); }

dest=$T_DIR/dest
t_ok "make install DESTDIR" mk install DESTDIR="$dest"
t_ok "the installed bld runs" "$dest/usr/local/bin/bld" version
# every file under an FHS directory of /usr/local, or bld's config directory
fhs='^/usr/local/(bin/bld|lib/systemd/system/bld(-[a-z-]+)?\.(service|socket)|share/man/man([1-8])/bld(-[a-z-]+)?\.\4|share/bash-completion/completions/bld|share/zsh/site-functions/_bld|share/fish/vendor_completions\.d/bld\.fish)$|^/etc/bld/config\.json$'
bad=$(files "$dest" | grep -Ev "$fhs"); rc=$? # 1: every line matched (2: a bad pattern)
t_eq "every file where the FHS says" "1:" "$rc:$bad"
"$BLD" __man "$T_DIR/man"
t_eq "a manual page for bld and every command" "$(ls "$T_DIR/man")" "$(ls "$dest/usr/local/share/man/man1")"
for p in "$TOP"/doc/*.[1-8]; do
  t_ok "${p##*/} installed" test -f "$dest/usr/local/share/man/man${p##*.}/${p##*/}"
done
for f in bash-completion/completions/bld zsh/site-functions/_bld fish/vendor_completions.d/bld.fish; do
  t_ok "completion $f installed" test -s "$dest/usr/local/share/$f"
done
for u in "$TOP"/tools/systemd/*; do
  t_ok "unit ${u##*/} installed" test -f "$dest/usr/local/lib/systemd/system/${u##*/}"
done
t_match "the boot unit runs the installed bld" '^ExecStart=/usr/local/bin/bld system boot$' \
  "$(cat "$dest/usr/local/lib/systemd/system/bld-boot.service")"
t_eq "every unit runs the installed bld" "" \
  "$(grep -h '^ExecStart=' "$dest"/usr/local/lib/systemd/system/* | grep -v '^ExecStart=/usr/local/bin/bld ')"
t_eq "the default config is docker's daemon.json shape" "[]" \
  "$(jq -c '.["insecure-registries"]' "$dest/etc/bld/config.json")"

# a config that is there stays, on install and on uninstall
echo '{"insecure-registries": ["reg.example:5000"]}' >"$dest/etc/bld/config.json"
t_ok "install again" mk install DESTDIR="$dest"
t_match "an existing config is not overwritten" 'reg.example' "$(cat "$dest/etc/bld/config.json")"
t_ok "make uninstall DESTDIR" mk uninstall DESTDIR="$dest"
t_eq "uninstall keeps a changed config, removes the rest" "/etc/bld/config.json" "$(files "$dest")"
rm "$dest/etc/bld/config.json"
t_ok "install once more" mk install DESTDIR="$dest"
t_ok "uninstall" mk uninstall DESTDIR="$dest"
t_eq "uninstall leaves the tree empty" "" "$(cd "$dest" && find . -mindepth 1)"

# PREFIX=/usr: the binary in /usr/bin, the units in /usr/lib/systemd/system, config in /etc
t_ok "make install PREFIX=/usr" mk install DESTDIR="$dest" PREFIX=/usr
t_ok "... the binary in /usr/bin" test -x "$dest/usr/bin/bld"
t_match "... the unit runs /usr/bin/bld" '^ExecStart=/usr/bin/bld system boot$' \
  "$(cat "$dest/usr/lib/systemd/system/bld-boot.service")"
t_ok "... the config in /etc/bld" test -f "$dest/etc/bld/config.json"
t_ok "... zsh's completion in vendor-completions" test -f "$dest/usr/share/zsh/vendor-completions/_bld"
t_ok "uninstall PREFIX=/usr" mk uninstall DESTDIR="$dest" PREFIX=/usr
t_eq "... leaves it empty" "" "$(cd "$dest" && find . -mindepth 1)"
