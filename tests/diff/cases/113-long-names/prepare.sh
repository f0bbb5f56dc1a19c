n=$(printf 'c%.0s' $(seq 1 180)); echo ctx > "$n"
d=deep; for i in $(seq 1 25); do d=$d/dir$i; done; mkdir -p "$d" && echo x > "$d/leaf"
ln -s "$(printf 'l%.0s' $(seq 1 120))" dangling-long-link
