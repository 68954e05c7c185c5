#!/usr/bin/env bash
# Installs Debian's chromium when it is missing (as test/ad/samba.sh installs samba): the HTML
# report test renders the page in it. CI runs as root with the Debian archive reachable.
set -euo pipefail
command -v chromium >/dev/null && exit 0
echo "chromium.sh: installing chromium (apt-get)" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
# Other test files may be installing packages at the same time: wait for dpkg's lock.
$sudo apt-get -o DPkg::Lock::Timeout=600 update -q >&2
$sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q chromium >&2
