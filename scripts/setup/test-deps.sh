#!/usr/bin/env bash
# Installs the Debian packages `npm test` needs beyond Node and npm: Chromium for the page's browser
# tests, Mesa's EGL/GLES (llvmpipe) for the WebGPU tests on a machine without a GPU, and a font
# for the page's screenshots. Does nothing when they are all installed already.
set -euo pipefail
PACKAGES="chromium libegl1 libegl-mesa0 libgles2 libgl1-mesa-dri fonts-dejavu-core"
if dpkg-query -W -f='${Status}\n' $PACKAGES 2>/dev/null | grep -q -v 'install ok installed' \
   || ! dpkg-query -W $PACKAGES >/dev/null 2>&1; then
  command -v apt-get >/dev/null || { echo "test-deps: needs Debian's apt-get; install by hand: $PACKAGES" >&2; exit 1; }
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends $PACKAGES >/dev/null
fi
echo "test-deps: $PACKAGES installed"
