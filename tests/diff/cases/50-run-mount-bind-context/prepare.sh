# a context with ignored files and an exception
mkdir -p sub logs && echo inner > sub/inner.txt && echo keep > keep.txt && echo secret > secret.txt
echo a > logs/a.log && echo b > logs/b.log
printf 'secret.txt\nlogs\n!logs/b.log\nprepare.sh\n' > .dockerignore
