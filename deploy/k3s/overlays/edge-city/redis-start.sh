#!/bin/sh
# Starts one Redis pod of the city: as the primary if the sentinels say it is (or, on the very first
# start, when no sentinel knows a primary yet, if it is edgeclass-redis-0), else as a replica of the
# primary the sentinels name. Every pod announces its stable DNS name, not its pod IP, so the
# sentinels and the servers keep finding it after a restart on a new IP.
set -eu
me="$(hostname).edgeclass-redis"
primary=""
for s in 0 1 2; do
  primary="$(redis-cli -h "edgeclass-redis-sentinel-$s.edgeclass-redis-sentinel" -p 26379 --raw sentinel get-master-addr-by-name edgeclass 2>/dev/null | head -n 1 || true)"
  [ -n "$primary" ] && break
done
[ -n "$primary" ] || primary="edgeclass-redis-0.edgeclass-redis"
set -- /etc/edgeclass-redis/redis.conf --replica-announce-ip "$me"
if [ "$primary" != "$me" ]; then
  set -- "$@" --replicaof "$primary" 6379
fi
exec redis-server "$@"
