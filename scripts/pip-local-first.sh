#!/usr/bin/env bash
# Usage: scripts/pip-local-first.sh PYTHON PIP-ARGS...   (runs PYTHON -m pip PIP-ARGS...)
#
# pip always asks its default index (PyPI) first. On a machine without internet whose pip configuration
# adds local package indexes (extra-index-url = file://...), every package then costs a failed connection
# and a "Retrying ... Failed to establish a new connection" warning. When pip is configured that way (no
# index-url of its own, PIP_INDEX_URL unset, at least one file:// index), this runs pip against the local
# indexes alone first (find-links and every other setting stay), and if that fails (something missing
# there), runs it again exactly as configured. Anywhere else it is plain pip. REACGAN_PIP_LOCAL_FIRST=0
# turns it off.
set -euo pipefail
python="$1"
shift
locals=()
if [ "${REACGAN_PIP_LOCAL_FIRST:-1}" != 0 ] && [ -z "${PIP_INDEX_URL:-}" ]; then
  config="$("$python" -m pip config list 2>/dev/null || true)"
  # A configured index-url (not extra-index-url) is the user's choice of index: leave it alone.
  if ! grep -Eq "^[^=]*\.index-url=" <<<"$config"; then
    while IFS= read -r url; do
      [[ "$url" == file://* ]] && locals+=("$url")
    done < <(sed -n "s/^[^=]*\.extra-index-url='\(.*\)'$/\1/p" <<<"$config" | tr ' ' '\n')
  fi
fi
if [ "${#locals[@]}" -gt 0 ]; then
  log="$(mktemp)"
  if PIP_INDEX_URL="${locals[0]}" PIP_EXTRA_INDEX_URL="${locals[*]:1}" "$python" -m pip "$@" >"$log" 2>&1; then
    # A local index that lacks a package makes pip warn "Location 'file://…/name/' is ignored" though another
    # index had it: not worth a line each.
    grep -v "^WARNING: Location 'file://.*' is ignored: it is neither a file nor a directory\.$" "$log" || true
    rm -f "$log"
    exit 0
  fi
  echo "[pip] the local package indexes (${locals[*]}) could not satisfy 'pip $*' ($(tail -n 1 "$log")); trying pip's configured indexes" >&2
  rm -f "$log"
fi
exec "$python" -m pip "$@"
