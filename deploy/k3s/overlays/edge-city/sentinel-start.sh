#!/bin/sh
# Starts one sentinel: it watches the primary its peers know (after a failover, the promoted
# replica), or edgeclass-redis-0 on the very first start. Sentinel rewrites its configuration file,
# so it runs from a copy on its own volume, which keeps what it learnt across restarts.
set -eu
# A sentinel that ran here before keeps what it learnt (the current primary, its peers, the epoch).
if [ -s /data/sentinel.conf ]; then
  exec redis-server /data/sentinel.conf --sentinel
fi
me="$(hostname).edgeclass-redis-sentinel"
primary=""
for s in 0 1 2; do
  [ "edgeclass-redis-sentinel-$s.edgeclass-redis-sentinel" = "$me" ] && continue
  primary="$(redis-cli -h "edgeclass-redis-sentinel-$s.edgeclass-redis-sentinel" -p 26379 --raw sentinel get-master-addr-by-name edgeclass 2>/dev/null | head -n 1 || true)"
  [ -n "$primary" ] && break
done
[ -n "$primary" ] || primary="edgeclass-redis-0.edgeclass-redis"
# Sentinel refuses a monitor line whose name does not resolve: wait for the pod's DNS record.
i=0
while ! nslookup "$primary" >/dev/null 2>&1 && [ $i -lt 60 ]; do i=$((i + 1)); sleep 1; done
{
  cat /etc/edgeclass-redis/sentinel.conf
  echo "sentinel announce-ip $me"
  # Quorum 2 of 3: a failover needs two sentinels to agree the primary is down.
  echo "sentinel monitor edgeclass $primary 6379 2"
  echo "sentinel down-after-milliseconds edgeclass 5000"
  echo "sentinel failover-timeout edgeclass 60000"
  echo "sentinel parallel-syncs edgeclass 1"
} > /data/sentinel.conf
exec redis-server /data/sentinel.conf --sentinel
