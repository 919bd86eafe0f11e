#!/usr/bin/env bash
# Installs Debian's chromium for test/status-page.test.ts (headless), unless /usr/bin/chromium is already there.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/apt-install.sh"

apt_install chromium chromium test -x /usr/bin/chromium
