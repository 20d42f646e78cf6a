#!/usr/bin/env bash
# The device check: on a machine with an NVIDIA GPU (Vulkan driver, no network, no
# Node.js), trains the `cnn` preset for a fixed number of batches with the WebGPU backend (Dawn's
# Vulkan backend) and the same network with PyTorch CUDA, same batch size, and prints examples/s of
# each, the ratio, the GPU's name, whether the WebGPU kernels agree with the CPU backend there, and
# kernel rates and per-layer times.
#
# Usage, in the repository root: bash scripts/gpu/check.sh [DIR]
#   DIR         what scripts/gpu/check-pack.sh made (default .gpu-check)
#   NODE        a node binary to use instead of DIR/node.xz
#   DAWN_NODE   a dawn.node to use instead of DIR/dawn.node.xz
#   ARCH (cnn), BATCH (128), BATCHES (100): what to train
#   OUT         where gpu-check.json goes (default: a temporary folder)
#   GPU_CHECK_ARGS, TORCH_DEVICE: only to try the script without a GPU (--software, cpu)
set -uo pipefail
dir=${1:-.gpu-check}
work=$(mktemp -d)
out=${OUT:-$work}
mkdir -p "$out"

node=${NODE:-}
if [ -z "$node" ]; then
  xz -dc "$dir/node.xz" >"$work/node" && chmod +x "$work/node" && node=$work/node || { echo "gpu-check: no node binary (NODE or $dir/node.xz)" >&2; exit 1; }
fi
dawn=${DAWN_NODE:-}
if [ -z "$dawn" ]; then
  xz -dc "$dir/dawn.node.xz" >"$work/dawn.node" && dawn=$work/dawn.node || { echo "gpu-check: no dawn.node (DAWN_NODE or $dir/dawn.node.xz)" >&2; exit 1; }
fi

# Dawn's Vulkan backend needs the Vulkan loader and the NVIDIA driver's Vulkan ICD. The loader is
# unpacked into / only on a GPU machine (a throwaway one), never where this is merely tried out.
if command -v nvidia-smi >/dev/null && ! ldconfig -p | grep -q 'libvulkan\.so\.1'; then
  echo "gpu-check: no Vulkan loader here; unpacking $dir/debs"
  for f in "$dir"/debs/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
if [ -z "${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" ]; then
  for f in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
    if [ -f "$f" ]; then export VK_DRIVER_FILES=$f; break; fi
  done
fi
echo "node $("$node" --version); Vulkan ICD: ${VK_DRIVER_FILES:-${VK_ICD_FILENAMES:-loader default}}"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader

echo
echo "=== WebGPU (Dawn) ==="
# shellcheck disable=SC2086
DAWN_NODE=$dawn timeout 420 "$node" "$dir/gpu-check.mjs" --arch "${ARCH:-cnn}" --batch "${BATCH:-128}" \
  --batches "${BATCHES:-100}" --out "$out/gpu-check.json" ${GPU_CHECK_ARGS:-} 2>&1 | grep -v 'artificially reduced'
status=${PIPESTATUS[0]}
if [ "$status" -ne 0 ]; then echo "gpu-check: the WebGPU side failed (exit $status)"; exit "$status"; fi

echo
echo "=== PyTorch ==="
PYTHONUNBUFFERED=1 timeout 300 python3 scripts/gpu/check-torch.py --results "$out/gpu-check.json" --device "${TORCH_DEVICE:-cuda}"
