#!/usr/bin/env bash
# Everything the test suite needs beyond npm packages: etcd, Consul, Chromium (for the status page test) and a
# current Node (for process.execve and Node's compile cache).
# Idempotent; quick when everything is there. Run by `npm test` (pretest) and .ci/run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/install-etcd.sh
bash scripts/install-consul.sh >/dev/null
if [ -f scripts/install-chromium.sh ]; then bash scripts/install-chromium.sh; fi
bash scripts/install-node-current.sh >/dev/null
bash scripts/musl-rootfs.sh --install-only # musl, musl-tools, busybox-static, libstdc++-N-pic (test/exe-musl.test.ts)
