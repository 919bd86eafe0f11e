#!/usr/bin/env bash
# Prints the Debian archive this machine's apt already uses (the first main-archive URI in its sources), so the
# scripts that fetch from Debian outside apt's own lists (a private bullseye list, debootstrap) go where apt goes.
# Exits 1, saying so, when apt has no Debian source configured.
set -euo pipefail
uri=$(
  {
    grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{for (i = 2; i <= NF; i++) print $i}'
    grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list | sed 's/\[[^]]*\]//' | awk '{print $2}'
  } | grep -v -- '-security' | grep '/debian/\?$' | head -n 1
)
if [ -z "$uri" ]; then
  echo "debian-mirror: no Debian archive in apt's sources (/etc/apt/sources.list*); set the mirror by hand" >&2
  exit 1
fi
printf '%s\n' "${uri%/}"
