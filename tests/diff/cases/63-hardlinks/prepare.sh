mkdir -p d
echo linked content > d/a
ln d/a d/b
ln d/a c
