#!/usr/bin/env bash
# Installs etcd for the real-server backend tests (Debian/Ubuntu's etcd-server), unless an `etcd` is already on PATH.
set -euo pipefail

if command -v etcd >/dev/null 2>&1; then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-etcd: apt-get not found; install etcd 3.4 or newer by hand and put \`etcd\` on PATH (or set ETCD_BIN)" >&2
  exit 1
fi

as_root=()
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "install-etcd: run as root, or install sudo, to apt-get install etcd-server" >&2
    exit 1
  fi
  as_root=(sudo)
fi

echo "install-etcd: installing etcd-server with apt-get" >&2
${as_root[@]+"${as_root[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get update -qq
${as_root[@]+"${as_root[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends etcd-server >/dev/null

if ! command -v etcd >/dev/null 2>&1; then
  echo "install-etcd: etcd-server was installed but \`etcd\` is still not on PATH" >&2
  exit 1
fi
echo "install-etcd: $(etcd --version | head -n 1)" >&2
