mkdir -p t/etc t/bin t/newdir && echo over > t/etc/passwd-extra && ln -s /bin/busybox t/bin/extra-link && echo n > t/newdir/n
chmod 700 t/newdir && tar -cf over.tar --owner=0 --group=0 -C t etc bin newdir && rm -rf t
