# makes the archive ADD unpacks: owners and modes recorded in the tar are kept
mkdir -p t/sub && echo in-tar > t/inner && echo deep > t/sub/deep && chmod 604 t/inner
tar -C t --owner=7 --group=8 -czf archive.tar.gz . && rm -rf t
