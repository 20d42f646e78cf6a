#!/usr/bin/env bash
# One prepared run on a machine with an NVIDIA GPU and no Node.js or network:
#   1. trains the `cnn` preset with the WebGPU backend on MNIST, without and with elastic
#      augmentation, two processes side by side, for as many epochs as fit TRAIN_SECONDS (measured
#      by a short probe first), writing each model, card and curves to OUT;
#   2. runs scripts/gpu/check.sh: WebGPU vs the CPU backend there, then the same network trained by
#      the WebGPU backend and by PyTorch CUDA, same batch size: examples/s, ratio, GPU name.
# Needs .gpu-check/ from scripts/gpu/check-pack.sh and scripts/gpu/train-pack.sh.
# Usage (repository root): OUT=/some/dir bash scripts/gpu/device-run.sh
set -uo pipefail
dir=.gpu-check
out=${OUT:-$(mktemp -d)}
budget=${TRAIN_SECONDS:-200}
work=$(mktemp -d)
mkdir -p "$out"
started=$(date +%s)

xz -dc "$dir/node.xz" >"$work/node" && chmod +x "$work/node"
xz -dc "$dir/dawn.node.xz" >"$work/dawn.node"
export NODE=$work/node DAWN_NODE=$work/dawn.node MNIST_DIR=$work/mnist
mkdir -p "$MNIST_DIR"
for f in "$dir"/mnist/*.gz; do gzip -dc "$f" >"$MNIST_DIR/$(basename "$f" .gz)"; done
if command -v nvidia-smi >/dev/null && ! ldconfig -p | grep -q 'libvulkan\.so\.1'; then
  for f in "$dir"/debs/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
for f in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
  if [ -z "${VK_DRIVER_FILES:-}" ] && [ -f "$f" ]; then export VK_DRIVER_FILES=$f; fi
done
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null
train() { "$NODE" "$dir/train.mjs" --device gpu --arch cnn --optimizer adam --lr 0.001 --batch 128 --seed 1 "$@" 2>&1 | grep -v 'artificially reduced\|█\|░'; }

echo "=== probe: one short epoch with elastic augmentation ==="
train --augment elastic --limit 12800 --epochs 1 --out "$work/probe.onnx" | tail -3
speed=$("$NODE" -e "console.log(JSON.parse(require('fs').readFileSync('$work/probe.json')).metrics.examplesPerSecond)" 2>/dev/null || echo 0)
# Two runs share the GPU and the CPU; each epoch also evaluates the 10,000 test images.
epochs=$("$NODE" -e "const s=$speed; console.log(Math.max(2, Math.min(40, Math.floor(0.75 * s / 1.6 * $budget / 70000))))")
echo "probe: $speed examples/s alone -> $epochs epochs per run in ${budget}s"

echo "=== training: cnn without and with elastic augmentation ($epochs epochs, cosine schedule) ==="
limit=$(( (budget + 59) / 60 + 1 ))
train --augment none --epochs "$epochs" --schedule cosine --time-limit "$limit" --name digits-cnn --out "$out/cnn.onnx" >"$out/cnn.log" &
a=$!
train --augment elastic --epochs "$epochs" --schedule cosine --time-limit "$limit" --name digits-cnn-elastic --out "$out/cnn-elastic.onnx" >"$out/cnn-elastic.log" &
b=$!
wait $a $b
tail -n 3 "$out/cnn.log" "$out/cnn-elastic.log"
echo "training took $(( $(date +%s) - started )) s"

echo "=== gpu-check ==="
OUT=$out bash scripts/gpu/check.sh "$dir"
echo "total $(( $(date +%s) - started )) s"
