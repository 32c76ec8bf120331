#!/usr/bin/env bash
# The paper's CIFAR-10 run: preset cifar10/reacgan = StudioGAN v0.3.0 src/configs/CIFAR10/ReACGAN.yaml
# (BigGAN backbone, D2D-CE λ 0.5 τ 0.5 m_p 0.98, batch 128, lr 2.83e-4, 5 D updates per step, 100k steps,
# EMA 0.9999 from step 1000), then FID/IS against the 10k test images with pytorch-fid's Inception weights.
#
# Needs: CIFAR-10 (python or binary version; downloaded into the cache by @reacgan/data when --root is not
# given and the network allows it), an NVIDIA GPU with @tensorflow/tfjs-node-gpu (CUDA 11.2 / cuDNN 8.1),
# and for FID/IS: pt_inception-2015-12-05-6726825d.pth (pytorch-fid's release file).
#
# Usage: bash train.sh [cifar10 root] [inception weights]
set -euo pipefail
ROOT="${1:-}"
WEIGHTS="${2:-${INCEPTION_WEIGHTS:-}}"
OUT="${OUT:-runs/cifar10-reacgan}"
BACKEND="${REACGAN_BACKEND:-tensorflow-gpu}"
REACGAN="node $(dirname "$0")/../../packages/reacgan/dist/cli.js"

ROOT_ARGS=()
if [ -n "$ROOT" ]; then ROOT_ARGS=(--root "$ROOT"); fi

$REACGAN dataset info --dataset cifar10 "${ROOT_ARGS[@]}" --split train
if [ -f "$OUT/checkpoints/last.safetensors" ]; then
  $REACGAN train --backend "$BACKEND" --resume "$OUT"          # continue an interrupted run exactly
else
  $REACGAN train --backend "$BACKEND" --preset cifar10/reacgan "${ROOT_ARGS[@]}" --out "$OUT" \
    --set run.printEvery=100 run.saveEvery=2000 run.sampleEvery=2000 run.evalEvery=0
fi
$REACGAN sample --run "$OUT" --columns 10
if [ -n "$WEIGHTS" ]; then
  # StudioGAN's paper protocol: 10k generated vs the 10k test images, batch statistics, float images (no quantisation), IS with 1 split.
  $REACGAN evaluate --run "$OUT" --backend "$BACKEND" --extractor inception-v3-fid --inception-weights "$WEIGHTS" \
    --split test --num-samples 10000 --batch-statistics
else
  echo "skipping FID/IS: pass pytorch-fid's pt_inception-2015-12-05-6726825d.pth as the second argument"
fi
