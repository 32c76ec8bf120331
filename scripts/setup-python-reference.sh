#!/usr/bin/env bash
# Creates .venv-reference/ with the PyTorch/NumPy/SciPy versions the reference scripts and the
# PyTorch parity tests use (from the configured pip indexes; no internet beyond them needed).
# Idempotent: returns in well under a second when the environment is already complete.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${REACGAN_REFERENCE_VENV:-$root/.venv-reference}"
python="${REACGAN_PYTHON:-python3}"
marker="$venv/.reacgan-complete-v1"
if [ -f "$marker" ]; then exit 0; fi
echo "[reacgan] creating the Python reference environment in $venv (torch 2.13 CPU, numpy, scipy) ..."
"$python" -m venv "$venv"
# Local (file://) indexes from pip's configuration first where there are any: no retry warning per package
# from an unreachable default index (see pip-local-first.sh); plain pip elsewhere.
PIP_RETRIES="${PIP_RETRIES:-1}" bash "$root/scripts/pip-local-first.sh" "$venv/bin/python" install --quiet --disable-pip-version-check \
  "torch==2.13.0" numpy scipy safetensors
"$venv/bin/python" -c "import torch, numpy, scipy; print('[reacgan] reference env: torch', torch.__version__, 'numpy', numpy.__version__, 'scipy', scipy.__version__)"
touch "$marker"
