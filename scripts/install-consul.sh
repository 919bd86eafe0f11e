#!/usr/bin/env bash
# Install Consul for the real-server tests into .servers/consul/ from Debian bullseye's archive,
# through a private apt list so the system's apt sources and dpkg state are left untouched.
# Idempotent and quiet when already installed; prints the path of the binary.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="$root/.servers/consul"
bin="$dest/usr/bin/consul"
package="consul"
version="1.8.7+dfsg1-2+b3"

if [ -x "$bin" ] && "$bin" version >/dev/null 2>&1; then
  echo "$bin"
  exit 0
fi

arch="$(dpkg --print-architecture)"
keyring=/usr/share/keyrings/debian-archive-bullseye-stable.gpg
if [ ! -r "$keyring" ]; then
  keyring=/usr/share/keyrings/debian-archive-keyring.gpg
fi

apt_dir="$root/.servers/apt"
mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial" "$apt_dir/cache" "$dest"
echo "deb [arch=$arch signed-by=$keyring] http://deb.debian.org/debian bullseye main" >"$apt_dir/sources.list"

# Everything apt reads or writes is redirected here; the system's status file is only read.
apt_opts=(
  -qq
  -o "Dir::Etc::SourceList=$apt_dir/sources.list"
  -o Dir::Etc::SourceParts=/dev/null
  -o "Dir::State::Lists=$apt_dir/lists"
  -o "Dir::Cache=$apt_dir/cache"
  -o "Dir::Cache::archives=$apt_dir/archives"
  -o Dir::Cache::pkgcache=
  -o Dir::Cache::srcpkgcache=
  -o Acquire::Languages=none
)

if ! apt-get "${apt_opts[@]}" update >"$apt_dir/update.log" 2>&1; then
  cat "$apt_dir/update.log" >&2
  echo "install-consul: apt-get update of the private bullseye list failed (see above); is deb.debian.org reachable?" >&2
  exit 1
fi

# `apt-get download` writes into the current directory and verifies the hash against the signed index.
shopt -s nullglob
old=("$apt_dir/archives/${package}"_*.deb)
rm -f "${old[@]}"
if ! (cd "$apt_dir/archives" && apt-get "${apt_opts[@]}" download "$package=$version") >"$apt_dir/download.log" 2>&1; then
  cat "$apt_dir/download.log" >&2
  echo "install-consul: could not download $package=$version from bullseye (see above)" >&2
  exit 1
fi

debs=("$apt_dir/archives/${package}"_*.deb)
dpkg -x "${debs[0]}" "$dest"
if ! "$bin" version >/dev/null 2>&1; then
  echo "install-consul: unpacked ${debs[0]} but $bin does not run" >&2
  exit 1
fi
echo "$bin"
