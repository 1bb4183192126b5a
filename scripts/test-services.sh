#!/usr/bin/env bash
# What the tests need on this machine, installed and started when missing: Debian packages
# (apt-get when root, otherwise a message naming the package), Redis on 127.0.0.1:6379 and
# PostgreSQL on 127.0.0.1:5432. Everything else (sentinels, NATS hubs and leaves, coturn,
# private Redis servers) the tests start themselves. Run by `npm test` and by .ci/run.
set -uo pipefail

apt_install() { # package...
  if [ "$(id -u)" != 0 ]; then echo "test-services: missing $*; install it (apt-get install $*)" >&2; return 0; fi
  apt-get install -y -q "$@" >/dev/null 2>&1 || (apt-get update -q >/dev/null 2>&1 && apt-get install -y -q "$@" >/dev/null 2>&1) || echo "test-services: could not install $*" >&2
}
need() { # command package
  command -v "$1" >/dev/null 2>&1 || apt_install "$2"
}

need redis-server redis-server
need redis-sentinel redis-sentinel
need nats-server nats-server
need turnserver coturn
need unshare util-linux
need promtool prometheus
need chromium chromium
need skopeo skopeo
# Chinese glyphs for the zh-CN pages Chromium lays out (without them every character is a box).
[ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || apt_install fonts-wqy-microhei
command -v kubectl >/dev/null 2>&1 || echo "test-services: kubectl is missing; the deploy tests render the overlays with it" >&2

# Redis: the scale-out tests use a real server on 127.0.0.1:6379.
if command -v redis-server >/dev/null 2>&1 && ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
  for _ in $(seq 1 50); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.1; done
fi

# The centre (docs/central.md): tests create their own database on PostgreSQL at 127.0.0.1:5432
# as user postgres without a password (loopback trust).
if ! pg_isready -h 127.0.0.1 -p 5432 -q >/dev/null 2>&1; then
  command -v pg_ctlcluster >/dev/null 2>&1 || apt_install postgresql
  if [ "$(id -u)" = 0 ]; then
    for hba in /etc/postgresql/*/main/pg_hba.conf; do
      if [ -f "$hba" ] && ! grep -q "^host all postgres 127.0.0.1/32 trust" "$hba"; then sed -i '1i host all postgres 127.0.0.1/32 trust' "$hba"; fi
    done
    for v in /etc/postgresql/*/main; do
      [ -d "$v" ] || continue
      pg_ctlcluster "$(basename "$(dirname "$v")")" main start >/dev/null 2>&1 || pg_ctlcluster "$(basename "$(dirname "$v")")" main reload >/dev/null 2>&1 || true
    done
    for _ in $(seq 1 50); do pg_isready -h 127.0.0.1 -p 5432 -q >/dev/null 2>&1 && break; sleep 0.2; done
  else
    echo "test-services: PostgreSQL is not answering on 127.0.0.1:5432; the centre's tests need it" >&2
  fi
fi
exit 0
