#!/bin/sh
# stand-in for postgres's docker-ensure-initdb.sh
exec "$@"
