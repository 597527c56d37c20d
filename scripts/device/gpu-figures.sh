#!/usr/bin/env bash
# The GPU figures, on a lent GPU machine (the device tool: Python + PyTorch + CUDA there, no Node,
# no network), in one prepared run. Prepare here first: `pnpm build && node scripts/device/prepare.mjs`
# (writes packages/models/.device, which the call carries). Then, from the repository root there:
#
#   bash scripts/device/gpu-figures.sh [all|reference|swap|front-end|train]   (results in $OUT, or ./gpu-figures)
#
# 1. the PyTorch reference swap on CUDA, float32 and float16 autocast (fslsd_reference.bench);
# 2. the full-size set imported from torch-written checkpoints by the SDK, then the SDK's swap on
#    the CPU (every core), on onnxruntime-node's WebGPU provider (Dawn over the NVIDIA Vulkan
#    driver) in float32 and float16, with y_f against the CPU's (scripts/device/swap-gpu.mjs);
# 3. the face front end (align, masks, paste-back of the front-end benchmark's 1080p frame) as
#    TypeScript + WebAssembly, as graphs on the CPU and on WebGPU, and by OpenCV
#    (scripts/device/front-end-gpu.mjs);
# 4. training speed at full width, batch 8, float32 and mixed precision (fslsd_train.bench).
# Each step has its own time limit and writes its own file, so one failure leaves the others.
set -u
only=${1:-all}
want() { [ "$only" = all ] || [ "$only" = "$1" ]; }
cd "$(dirname "$0")/../.."
out="${OUT:-$PWD/gpu-figures}"
mkdir -p "$out"
device=packages/models/.device
work=$(mktemp -d)
log() { echo "[$(date -u +%T)] $*" | tee -a "$out/log.txt"; }
step() { # step SECONDS OUTFILE command...: stdout to OUTFILE, stderr to the log
  local seconds=$1 file=$2
  shift 2
  local started=$SECONDS
  timeout "$seconds" "$@" >"$file" 2>>"$out/log.txt"
  log "exit $? after $((SECONDS - started)) s: $*"
}

nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm --format=csv >"$out/gpu.txt" 2>&1
log "GPU: $(tail -n 1 "$out/gpu.txt"); $(nproc) CPUs; python3 $(python3 -c 'import torch; print(torch.__version__)')"

# Node, the runtime packages and the Vulkan loader (Python's lzma: the image may lack xz).
python3 -c "import lzma, shutil, tarfile; shutil.copyfileobj(lzma.open('$device/node.xz'), open('$work/node', 'wb')); tarfile.open('$device/runtime.tar.xz').extractall('$device')"
chmod +x "$work/node"
# The loader and libglvnd: NVIDIA's Vulkan ICD is libGLX_nvidia.so.0, which needs libGLdispatch.
for deb in "$device"/gl/*.deb; do dpkg -x "$deb" /; done
ldconfig
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
[ -f "$icd" ] && export VK_DRIVER_FILES=$icd
log "node $("$work/node" --version); Vulkan ICD ${VK_DRIVER_FILES:-default}"

export PYTHONPATH=$PWD/packages/models/python PYTHONUNBUFFERED=1
samples=packages/models/assets/samples
want reference && step 90 "$out/reference-cuda-float32.json" python3 -m fslsd_reference.bench --samples "$samples" --runs 5 --threads "$(nproc)" --device cuda
want reference && step 90 "$out/reference-cuda-float16.json" python3 -m fslsd_reference.bench --samples "$samples" --runs 5 --threads "$(nproc)" --device cuda --half

if want swap; then
  step 90 /dev/null python3 -m fslsd_reference.checkpoints --out "$work/checkpoints" --width 1 --weights float32 --only CELEBA-HQ-1024.pt,psp_ffhq_encode.pt
  step 240 "$out/swap-node.txt" "$work/node" "$device/swap-gpu.mjs" --checkpoints "$work/checkpoints" --work "$work" --out "$out/swap-gpu.json" --runs 3
  cat "$out/swap-node.txt" >>"$out/log.txt"
  rm -f "$out/swap-node.txt"
  rm -rf "$work/checkpoints" "$work/imported-full"
fi

want front-end && step 150 "$out/front-end-node.txt" "$work/node" "$device/front-end-gpu.mjs" --landmarks "$device/front-end-landmarks.json" --out "$out/front-end-gpu.json" --runs 15
if want front-end; then cat "$out/front-end-node.txt" >>"$out/log.txt"; rm -f "$out/front-end-node.txt"; fi

want train && step 100 "$out/train-float32.json" python3 -m fslsd_train.bench --width 1 --batch 8 --steps 3 --device cuda --json
want train && step 100 "$out/train-amp.json" python3 -m fslsd_train.bench --width 1 --batch 8 --steps 3 --amp --device cuda --json
log done
