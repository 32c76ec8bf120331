#!/usr/bin/env bash
# Makes sure a Chromium the e2e test can drive is installed (idempotent).
#   - chromium (or $CHROMIUM_PATH) present: prints its version, exits 0.
#   - missing and apt-get usable (root, or passwordless sudo): installs Debian's `chromium` package.
#   - otherwise: explains what to install and exits 1.
# `npx playwright install` is not used: it downloads from outside the npm registry.
set -euo pipefail

say() { echo "[ensure-chromium] $*"; }

if [[ -n "${CHROMIUM_PATH:-}" ]]; then
  if [[ -x "$CHROMIUM_PATH" ]]; then
    say "using CHROMIUM_PATH=$CHROMIUM_PATH"
    exit 0
  fi
  say "CHROMIUM_PATH=$CHROMIUM_PATH is not an executable file" >&2
  exit 1
fi

for name in chromium chromium-browser; do
  if found="$(command -v "$name" 2>/dev/null)"; then
    # Debian's wrapper script prints a harmless shell warning on some machines; keep only the version line.
    say "found $found: $("$found" --version 2>/dev/null | grep -m1 -i chromium || echo 'version unknown')"
    exit 0
  fi
done

if ! command -v apt-get >/dev/null 2>&1; then
  say "Chromium is not installed and apt-get is not available here." >&2
  say "Install Chromium with your system's package manager, or point CHROMIUM_PATH at a Chromium/Chrome binary." >&2
  exit 1
fi

if [[ "$(id -u)" -eq 0 ]]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO=(sudo -n)
else
  say "Chromium is not installed; installing it needs root: run 'sudo apt-get install -y chromium' (Debian/Ubuntu)," >&2
  say "or set CHROMIUM_PATH to an existing Chromium/Chrome binary." >&2
  exit 1
fi

say "installing Debian's chromium with apt-get (one time, a few hundred MB with its recommended packages)"
export DEBIAN_FRONTEND=noninteractive
if ! "${SUDO[@]}" apt-get install -y chromium >/tmp/ensure-chromium-apt.log 2>&1; then
  say "apt-get install failed; refreshing the package lists and retrying"
  "${SUDO[@]}" apt-get update >>/tmp/ensure-chromium-apt.log 2>&1 || true
  if ! "${SUDO[@]}" apt-get install -y chromium >>/tmp/ensure-chromium-apt.log 2>&1; then
    tail -n 20 /tmp/ensure-chromium-apt.log >&2
    say "could not install chromium with apt-get (log: /tmp/ensure-chromium-apt.log)." >&2
    exit 1
  fi
fi
found="$(command -v chromium)" || { say "apt-get reported success but 'chromium' is not on the PATH" >&2; exit 1; }
say "installed $found: $("$found" --version 2>/dev/null | grep -m1 -i chromium || echo 'version unknown')"
