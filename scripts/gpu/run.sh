#!/usr/bin/env bash
# The GPU measurement, from the bundle built by scripts/gpu/build-bundle.mjs, on a machine without Node (the
# device machine: an NVIDIA H200, driver 580, Vulkan ICD in /usr/local/nvidia/share/vulkan/icd.d/, PyTorch with
# CUDA). Run from the repository root, with the bundle carried along:
#   bash scripts/gpu/run.sh            # results in $OUT (default ./gpu-results), at most 8 files
# It runs, each part under its own time limit (45 + 45 + 240 + 180 s: under the device tool's 10 minutes with the
# machine's start; SIGTERM, then SIGKILL 10-30 s later: `train` stops at a step boundary and writes a checkpoint,
# and a local try on the software adapter took 75 min to get there), going on when one fails:
#   1. `reacgan backend --backend webgpu --json` (the adapter: vendor, architecture, hardware or software)
#   2. the cifar10/reacgan training step on webgpu at batch 64 and 128 (ms/step, median of 12 after 3 warm-up
#      steps), and the same step in PyTorch on CUDA (bench/python/torch_step.py) and on the CPU
#   3. 200 steps of the MNIST main job (`reacgan train --backend webgpu --steps 200`: judge, grid, report)
# Knobs (environment): OUT; REACGAN_GPU_BUNDLE (default scripts/gpu/out/reacgan-gpu.tar.xz, or an unpacked
# folder); REACGAN_GPU_BATCH_SIZES (64,128); REACGAN_GPU_WARMUP (3); REACGAN_GPU_REPS (12); REACGAN_GPU_CPU_REPS (5);
# REACGAN_GPU_MNIST_STEPS (200); REACGAN_GPU_TORCH_DEVICES (cuda,cpu); REACGAN_GPU_PYTHON (python3);
# REACGAN_GPU_BACKEND (webgpu); REACGAN_GPU_STEP_LIMIT (240 s), REACGAN_GPU_MNIST_LIMIT (180 s). To try it on a machine without a GPU (the software adapter):
#   REACGAN_GPU_BATCH_SIZES=4 REACGAN_GPU_WARMUP=1 REACGAN_GPU_REPS=2 REACGAN_GPU_CPU_REPS=1 REACGAN_GPU_MNIST_STEPS=4 \
#     REACGAN_GPU_TORCH_DEVICES=cpu REACGAN_GPU_PYTHON=.venv-reference/bin/python bash scripts/gpu/run.sh
set -uo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="${OUT:-$repo/gpu-results}"
mkdir -p "$OUT"
bundle="${REACGAN_GPU_BUNDLE:-$repo/scripts/gpu/out/reacgan-gpu.tar.xz}"
work="${TMPDIR:-/tmp}/reacgan-gpu-run"
log="$OUT/run.log"
say() { echo "[gpu run] $*" | tee -a "$log" >&2; }
: >"$log"

# ---- unpack
mkdir -p "$work"
if [[ -d "$bundle" ]]; then
  B="$bundle"
else
  [[ -f "$bundle" ]] || { say "no bundle at $bundle: run 'node scripts/gpu/build-bundle.mjs' first"; exit 1; }
  rm -rf "$work" && mkdir -p "$work"
  tar -C "$work" -xJf "$bundle" || { say "could not unpack $bundle"; exit 1; }
  B="$work/reacgan-gpu"
fi
say "bundle: $(cat "$B/BUNDLE.txt" 2>/dev/null)"

# ---- the Vulkan loader and the NVIDIA ICD (never unpacked over /: beside the bundle, on LD_LIBRARY_PATH)
if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1'; then
  for deb in "$B"/debs/libvulkan1_*.deb; do dpkg -x "$deb" "$B/sysroot" 2>>"$log" || say "dpkg -x $deb failed"; done
  export LD_LIBRARY_PATH="$B/sysroot/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  say "libvulkan.so.1 from the bundle's .deb"
fi
for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
  if [[ -f "$icd" && -z "${VK_DRIVER_FILES:-}" ]]; then
    export VK_DRIVER_FILES="$icd" VK_ICD_FILENAMES="$icd"
    say "Vulkan ICD: $icd"
  fi
done
{ nvidia-smi 2>&1 || echo "(no nvidia-smi)"; uname -a; grep -m1 'model name' /proc/cpuinfo; nproc; } >>"$log"

node="$B/node"
backend="${REACGAN_GPU_BACKEND:-webgpu}"
python="${REACGAN_GPU_PYTHON:-python3}"
cd "$B" || exit 1

# ---- 1. backend report
say "1/3 backend report"
timeout -k 10 45 "$node" reacgan.mjs backend --backend "$backend" --json >"$OUT/backend.json" 2>>"$log" || say "backend report failed (see run.log)"
timeout -k 10 45 "$node" reacgan.mjs backend --backend "$backend" 2>>"$log" | tee -a "$log" >&2

# ---- 2. the CIFAR-10 step, ours and PyTorch
say "2/3 cifar10/reacgan step"
timeout -k 20 "${REACGAN_GPU_STEP_LIMIT:-240}" "$node" gpu-bench.mjs --out "$OUT" --backend "$backend" \
  --batch-sizes "${REACGAN_GPU_BATCH_SIZES:-64,128}" --warmup "${REACGAN_GPU_WARMUP:-3}" --reps "${REACGAN_GPU_REPS:-12}" \
  --cpu-reps "${REACGAN_GPU_CPU_REPS:-5}" --torch-devices "${REACGAN_GPU_TORCH_DEVICES:-cuda,cpu}" \
  --python "$python" --torch-script "$B/python/bench/python/torch_step.py" 2>>"$log" || say "step measurement failed or timed out (see run.log)"

# ---- 3. the MNIST main job, 200 steps
say "3/3 MNIST main job"
run="$work/mnist-run"
rm -rf "$run"
start=$(date +%s)
REACGAN_CACHE_DIR="$work/cache" timeout -k 30 "${REACGAN_GPU_MNIST_LIMIT:-180}" "$node" reacgan.mjs train --backend "$backend" --steps "${REACGAN_GPU_MNIST_STEPS:-200}" \
  --out "$run" --no-progress >>"$log" 2>&1 || say "MNIST main job failed or timed out (see run.log)"
say "MNIST main job: $(( $(date +%s) - start )) s wall"
for f in report.md metrics.jsonl grid.png; do [[ -f "$run/$f" ]] && cp "$run/$f" "$OUT/mnist-$f"; done
say "done; results in $OUT: $(ls "$OUT" | tr '\n' ' ')"
