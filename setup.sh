#!/bin/sh
# Install what kmatrix needs on a Debian 12 machine, idempotently, one progress line per step:
# the Debian packages (cross toolchain, kernel build tools, linux-source-6.1, bubblewrap), and
# deno from the npm package `deno`. The kernel tree itself is extracted by kmatrix on first use.
set -eu
cd "$(dirname "$0")"
step() { printf 'setup: %s\n' "$*" >&2; }
packages=$(grep -v '^#' cross/debian-packages.txt | tr '\n' ' ')
host_packages="linux-source-6.1 bubblewrap debootstrap"
# npm brings deno; a machine whose Node.js came from elsewhere has npm already.
command -v npm >/dev/null 2>&1 || host_packages="$host_packages npm"

if [ "$(id -u)" != 0 ] || ! grep -qs '^VERSION_CODENAME=bookworm' /etc/os-release; then
  echo "setup: kmatrix installs itself on Debian 12 as root only; elsewhere install by hand:" \
    "the Debian packages $packages $host_packages (or your distribution's equivalents)," \
    "then 'npm install -g deno@2.9', then run 'deno task test'" >&2
  exit 2
fi

missing=""
for p in $packages $host_packages; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
    missing="$missing $p"
done
if [ -n "$missing" ]; then
  step "apt-get install$missing"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
else
  step "Debian packages: all present"
fi

if ! deno --version 2>/dev/null | grep -q '^deno 2\.'; then
  step "npm install -g deno@2.9"
  npm install -g --no-fund --no-audit deno@2.9 >/dev/null 2>&1
fi
step "$(deno --version | head -n 1)"

step "deno install (npm dependencies from deno.lock)"
deno install --frozen >/dev/null 2>&1 || deno install --frozen
