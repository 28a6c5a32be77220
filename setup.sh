#!/bin/sh
# Install what kmatrix needs on a Debian 12 machine, idempotently, one progress line per step:
# deno from the npm package `deno`, the npm dependencies (deno.lock), then the Debian packages
# of the host runtime's environment (cross/runtimes/host.yaml → cross/environments/*.yaml, the
# same list the bwrap rootfs and the container image are made from). The kernel tree itself is
# extracted by kmatrix on first use.
set -eu
cd "$(dirname "$0")"
step() { printf 'setup: %s\n' "$*" >&2; }
apt_install() {
  step "apt-get install $*"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

if [ "$(id -u)" != 0 ] || ! grep -qs '^VERSION_CODENAME=bookworm' /etc/os-release; then
  list="listed by 'deno run -A mod.ts env packages host'"
  if deno --version >/dev/null 2>&1 && l=$(deno run -A mod.ts env packages host 2>/dev/null); then
    list="$l"
  fi
  echo "setup: kmatrix installs itself on Debian 12 as root only; elsewhere install by hand:" \
    "Node.js with npm, then 'npm install -g deno@2.9', then the Debian packages $list" \
    "(or your distribution's equivalents), then run 'deno task test'" >&2
  exit 2
fi

# npm brings deno; a machine whose Node.js came from elsewhere has npm already.
command -v npm >/dev/null 2>&1 || apt_install nodejs npm
if ! deno --version 2>/dev/null | grep -q '^deno 2\.'; then
  step "npm install -g deno@2.9"
  npm install -g --no-fund --no-audit deno@2.9 >/dev/null 2>&1
fi
step "$(deno --version | head -n 1)"
step "deno install (npm dependencies from deno.lock)"
deno install --frozen >/dev/null 2>&1 || deno install --frozen

packages=$(deno run -A mod.ts env packages host)
missing=""
for p in $packages; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
    missing="$missing $p"
done
if [ -n "$missing" ]; then
  # shellcheck disable=SC2086 # one word per package
  apt_install $missing
else
  step "Debian packages of the host environment: all present"
fi
