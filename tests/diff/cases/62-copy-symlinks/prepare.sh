mkdir -p tree/sub
echo target > tree/file
ln -s file tree/rel-link
ln -s /etc/passwd tree/abs-link
ln -s missing tree/dangling
ln -s sub tree/dir-link
echo inner > tree/sub/inner
ln -s tree/file top-link
ln -s tree dir-top-link
