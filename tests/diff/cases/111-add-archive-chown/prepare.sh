mkdir -p t/etc t/dir && echo conf > t/etc/new.conf && echo d > t/dir/f && chmod 750 t/dir
tar -cf archive.tar --owner=3 --group=4 -C t . && rm -rf t
