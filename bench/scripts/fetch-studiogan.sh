#!/usr/bin/env bash
# The StudioGAN checkouts the benchmark's PyTorch side runs (bench/python/studiogan_step.py): one folder per
# pinned commit, <dest>/<short commit>/ = `git archive` of that commit, plus STUDIOGAN_COMMIT (the full hash,
# checked by the bench). Nothing of StudioGAN enters this repository (bench/.cache is git-ignored).
#
#   bash bench/scripts/fetch-studiogan.sh [dest]        (default: bench/.cache/studiogan, or $REACGAN_STUDIOGAN)
#   STUDIOGAN_REPO=<path or URL of a clone or mirror>  (default: https://github.com/POSTECH-CVLab/PyTorch-StudioGAN)
#
# Idempotent: a folder whose STUDIOGAN_COMMIT already names its commit is left alone. Also installs PyYAML into
# the reference environment (StudioGAN reads its configs with it) when it is missing.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
dest="${1:-${REACGAN_STUDIOGAN:-$root/bench/.cache/studiogan}}"
repo="${STUDIOGAN_REPO:-https://github.com/POSTECH-CVLab/PyTorch-StudioGAN}"
# v.0.3.0 (big_resnet, the ReACGAN paper's release) and master (deep_conv: v0.3.0's conditional DCGAN D fails).
commits=(6650d2f5365b35c62c907ec78c0e56ca2107f50e 947b35e9835b67860fdce44d337f6d7fee7c8db3)
mkdir -p "$dest"
source_dir=""
cleanup() { if [ -n "${tmp:-}" ]; then rm -rf "$tmp"; fi; }
trap cleanup EXIT
for full in "${commits[@]}"; do
  short="${full:0:7}"
  out="$dest/$short"
  if [ -f "$out/STUDIOGAN_COMMIT" ] && [ "$(cat "$out/STUDIOGAN_COMMIT")" = "$full" ]; then
    echo "[studiogan] $out: already at $full"
    continue
  fi
  if [ -z "$source_dir" ]; then
    if git -C "$repo" rev-parse --git-dir > /dev/null 2>&1; then
      source_dir="$repo"
    else
      tmp="$(mktemp -d)"
      echo "[studiogan] cloning $repo (no checkout) ..."
      git clone --quiet --bare --filter=blob:none "$repo" "$tmp/repo.git"
      source_dir="$tmp/repo.git"
    fi
  fi
  rm -rf "$out.partial"
  mkdir -p "$out.partial"
  git -C "$source_dir" archive "$full" | tar -x -C "$out.partial"
  echo "$full" > "$out.partial/STUDIOGAN_COMMIT"
  rm -rf "$out"
  mv "$out.partial" "$out"
  echo "[studiogan] $out: StudioGAN at $full"
done
python="${REACGAN_BENCH_PYTHON:-$root/.venv-reference/bin/python}"
if [ -x "$python" ] && ! "$python" -c "import yaml" 2> /dev/null; then
  echo "[studiogan] installing PyYAML into $python's environment (StudioGAN reads its configs with it)"
  "$python" -m pip install --quiet --disable-pip-version-check pyyaml
fi
