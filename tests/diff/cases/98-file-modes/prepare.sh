echo a > m0400 && chmod 0400 m0400
echo b > m0755 && chmod 0755 m0755
echo c > m0664 && chmod 0664 m0664
mkdir -p dir/d0700 && chmod 0700 dir/d0700 && echo x > dir/d0700/x
mkdir -p dir/d2775 && chmod 2775 dir/d2775
: > empty
dd if=/dev/zero bs=1024 count=300 2>/dev/null | tr '\0' 'z' > big
