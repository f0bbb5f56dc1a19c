#!/bin/sh
# stand-in for redis's docker-entrypoint.sh
exec "$@"
