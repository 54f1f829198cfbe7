# SPDX-License-Identifier: LGPL-2.1-or-later
# Sourced by scripts/demo and scripts/test: installs the Debian packages the build, the
# unit tests and the two-host lab need (.ci/debian-packages), as root directly, otherwise
# through sudo. Already installed packages are left as they are.
set -eu
export DEBIAN_FRONTEND=noninteractive
if [ "$(id -u)" = 0 ]; then
    as_root=""
elif command -v sudo >/dev/null 2>&1; then
    as_root="sudo"
else
    echo "error: installing packages needs root, and sudo is not installed" >&2
    echo "hint: run this command as root" >&2
    exit 1
fi
packages=$(grep -v '^#' .ci/debian-packages | tr '\n' ' ')
echo "installing build and lab dependencies (apt-get, $(echo "$packages" | wc -w) packages)" >&2
$as_root apt-get update -qq
# shellcheck disable=SC2086
$as_root apt-get install -y -qq --no-install-recommends $packages >/dev/null
