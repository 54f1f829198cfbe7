# SPDX-License-Identifier: LGPL-2.1-or-later
# Sourced by scripts/demo and scripts/test after deps.sh: configures build/ (again, when it
# exists, so a second run reuses its objects) and compiles.
set -eu
if [ -d build ]; then
    meson setup --reconfigure build >/dev/null
else
    meson setup build >/dev/null
fi
meson compile -C build
