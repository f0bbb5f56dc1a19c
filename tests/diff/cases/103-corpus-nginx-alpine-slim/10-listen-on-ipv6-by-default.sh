#!/bin/sh
# stand-in for nginx's 10-listen-on-ipv6-by-default.sh
exit 0
