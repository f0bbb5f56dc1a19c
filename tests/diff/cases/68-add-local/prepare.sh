mkdir -p t/inner && echo in > t/inner/file && ln -s inner/file t/link && chmod 640 t/inner/file
tar -cf plain.tar -C t . && tar -cjf comp.tar.bz2 -C t inner && tar -cJf comp.tar.xz -C t link inner
tar -czf owned.tgz --owner=7 --group=8 -C t . && rm -rf t
gzip -c f.txt > notatar.gz
