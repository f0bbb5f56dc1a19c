#!/bin/sh
# stand-in for postgres's docker-entrypoint.sh
exec "$@"
