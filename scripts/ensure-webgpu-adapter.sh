#!/usr/bin/env bash
# Makes sure the webgpu tests have a software WebGPU adapter on Linux (idempotent; part of `pnpm test`):
# Dawn's OpenGL ES backend on Mesa's llvmpipe rasteriser, which needs the EGL and GLES loaders and Mesa's
# EGL and DRI drivers (Debian packages libegl1 libegl-mesa0 libgles2 libgl1-mesa-dri).
#   - present: says so.
#   - missing and apt-get usable (root, or passwordless sudo): installs them (a few MB, one time).
#   - otherwise: says what to install; the webgpu tests are then skipped with that reason (never silently).
# The outcome goes to node_modules/.reacgan/webgpu-adapter.json ({ ok, detail }): when it says ok, the webgpu
# tests fail (instead of skipping) if the adapter still cannot be created. Always exits 0.
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
status_dir="$root/node_modules/.reacgan"
packages=(libegl1 libegl-mesa0 libgles2 libgl1-mesa-dri)

say() { echo "[ensure-webgpu-adapter] $*"; }
record() { # ok detail
  mkdir -p "$status_dir"
  local detail="${2//\\/\\\\}"
  detail="${detail//\"/\\\"}"
  printf '{ "ok": %s, "detail": "%s" }\n' "$1" "$detail" >"$status_dir/webgpu-adapter.json"
  if [[ "$1" == true ]]; then say "$2"; else say "webgpu tests will be skipped: $2" >&2; fi
  exit 0
}

[[ "$(uname -s)" == Linux ]] || record false "not Linux ($(uname -s)): no Mesa software adapter to set up; the webgpu tests use the platform's own adapter if Dawn finds one"
case "$(uname -m)" in x86_64 | aarch64) ;; *) record false "no dawn.node for $(uname -m) in the npm package webgpu" ;; esac
command -v dpkg-query >/dev/null 2>&1 || record false "not a Debian-based system: install your distribution's EGL, GLES and Mesa (llvmpipe) packages"

missing() {
  local out=()
  for p in "${packages[@]}"; do
    [[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" == "install ok installed" ]] || out+=("$p")
  done
  echo "${out[@]:-}"
}

need="$(missing)"
if [[ -z "$need" ]]; then
  record true "Mesa llvmpipe through EGL/GLES present (${packages[*]})"
fi

if [[ "$(id -u)" -eq 0 ]]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO=(sudo -n)
else
  record false "missing Debian packages: $need; install them with 'sudo apt-get install -y $need'"
fi

say "installing $need with apt-get (one time, a few MB)"
export DEBIAN_FRONTEND=noninteractive
log=/tmp/ensure-webgpu-adapter-apt.log
# shellcheck disable=SC2086
if ! "${SUDO[@]}" apt-get install -y --no-install-recommends $need >"$log" 2>&1; then
  say "apt-get install failed; refreshing the package lists and retrying"
  "${SUDO[@]}" apt-get update >>"$log" 2>&1 || true
  # shellcheck disable=SC2086
  if ! "${SUDO[@]}" apt-get install -y --no-install-recommends $need >>"$log" 2>&1; then
    tail -n 20 "$log" >&2
    record false "apt-get install $need failed (log: $log)"
  fi
fi
need="$(missing)"
[[ -z "$need" ]] || record false "apt-get reported success but $need are still not installed"
record true "installed ${packages[*]} (Mesa llvmpipe through EGL/GLES)"
