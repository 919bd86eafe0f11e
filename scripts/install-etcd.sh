#!/usr/bin/env bash
# Installs etcd for the real-server backend tests (Debian's etcd-server), unless an `etcd` is already on PATH
# (or $ETCD_BIN points at one).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/apt-install.sh"

if [ -n "${ETCD_BIN:-}" ] && [ -x "$ETCD_BIN" ]; then
  exit 0
fi
apt_install etcd etcd-server command -v etcd
