#!/usr/bin/env bash
# Installs the Debian/Ubuntu libraries the project needs when any is missing:
# mysqlclient's build headers, WeasyPrint's Pango, poppler (PDF checks), Chromium (browser tests) and
# HAProxy (the load balancer of `make scale` and its test).
set -euo pipefail
packages=(libmariadb-dev pkg-config build-essential libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0
          fonts-dejavu-core poppler-utils chromium haproxy)
if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "system-deps: not a Debian/Ubuntu machine; install the equivalents of: ${packages[*]}" >&2
  exit 0
fi
missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "system-deps: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "system-deps: need root or sudo to install ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
