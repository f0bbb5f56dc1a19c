#!/bin/sh
# Prints the greeting the image was built with, its arguments, and what the build recorded.
echo "$GREETING"
[ $# -gt 0 ] && echo "args: $*"
cat /data/build-info
