#!/usr/bin/env bash
# Packs what scripts/gpu/check.sh needs on a GPU machine that has no Node.js, no npm and no network,
# into .gpu-check/ (git-ignored through .git/info/exclude; carry it to the device):
#   gpu-check.mjs   scripts/gpu/check.ts bundled with the core (esbuild, from tsx's dependencies)
#   node.xz         this machine's node binary (x86-64 Linux, glibc >= 2.28)
#   dawn.node.xz    the webgpu package's Dawn binding (needs glibc >= 2.34)
#   debs/           the Vulkan loader (libvulkan1), unpacked there only if the machine lacks it
# Usage (in the repository root, after npm ci): bash scripts/gpu/check-pack.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=.gpu-check
[ "$(uname -m)" = x86_64 ] || { echo "check-pack: this packs x86-64 binaries; run it on an x86-64 machine" >&2; exit 1; }
rm -rf "$dir"
mkdir -p "$dir/debs"
exclude=$(git rev-parse --git-path info/exclude)
grep -qxF "/$dir/" "$exclude" 2>/dev/null || echo "/$dir/" >>"$exclude"

npx esbuild scripts/gpu/check.ts --bundle --platform=node --format=esm --target=node20 \
  --external:webgpu --log-level=warning --outfile="$dir/gpu-check.mjs"
xz -T0 -6 -c "$(command -v node)" >"$dir/node.xz"
xz -T0 -9 -c node_modules/webgpu/dist/linux-x64/dawn.node >"$dir/dawn.node.xz"
(cd "$dir/debs" && { apt-get download libvulkan1 2>/dev/null || { apt-get update -qq && apt-get download libvulkan1; }; })
du -sh "$dir"/* | sed 's/^/  /'
echo "packed $dir: run scripts/gpu/check.sh on the GPU machine with $dir carried along"
