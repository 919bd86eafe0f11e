# Sourced by scripts/install-*.sh: install one Debian package with apt-get unless `check` already succeeds.
# apt_install NAME PACKAGE CHECK...  (CHECK is a command that succeeds once the package is usable)
apt_install() {
  local name="$1" package="$2"
  shift 2
  if "$@" >/dev/null 2>&1; then
    return 0
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-$name: apt-get not found; install $package by hand" >&2
    return 1
  fi
  local as_root=()
  if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
      echo "install-$name: run as root, or install sudo, to apt-get install $package" >&2
      return 1
    fi
    as_root=(sudo)
  fi
  echo "install-$name: installing $package with apt-get" >&2
  ${as_root[@]+"${as_root[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  ${as_root[@]+"${as_root[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >/dev/null
  if ! "$@" >/dev/null 2>&1; then
    echo "install-$name: $package was installed but \`$*\` still fails" >&2
    return 1
  fi
}
