#!/usr/bin/env bash
# Installs what building and testing ClusterTrain needs beyond the .NET 10 SDK, and nothing on hosts
# that already have it: Chromium for the dashboard's browser test (as root, on Debian), the tools of the
# libstdc++ workaround (docs/libstdcxx-workaround.md), only on hosts whose libstdc++ lacks GLIBCXX_3.4.32
# (Debian 12 and older), and PostgreSQL (Debian 12: 15), whose binaries the journal tests run a throwaway
# server from (no system service is used): only with --tests (test.sh), so that `./clustertrain` never
# installs a database or a browser.
set -euo pipefail

if ! command -v dotnet >/dev/null 2>&1; then
  echo "prerequisites: the .NET 10 SDK (dotnet) is not on PATH; install it first." >&2
  exit 1
fi

needs_patch_tools() {
  local lib
  lib=$(ldconfig -p 2>/dev/null | awk '/libstdc\+\+\.so\.6 .*x86-64/ {print $NF; exit}')
  [ -n "$lib" ] && ! grep -qa GLIBCXX_3.4.32 "$lib"
}

missing=()
if needs_patch_tools; then
  command -v patchelf >/dev/null 2>&1 || missing+=(patchelf)
  command -v cc >/dev/null 2>&1 || missing+=(gcc)
  command -v python3 >/dev/null 2>&1 || missing+=(python3)
  command -v readelf >/dev/null 2>&1 || missing+=(binutils)
fi
# The dashboard's browser test drives headless Chromium (it skips, saying so, where Chromium is missing).
if [ "${1:-}" = "--tests" ] && ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "prerequisites: installing chromium and chromium-driver (Debian packages) for the dashboard's browser test"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
fi
# The PostgreSQL journal tests start a throwaway server from these binaries (and skip without them).
if [ "${1:-}" = "--tests" ] && ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    missing+=(postgresql)
  else
    echo "prerequisites: PostgreSQL is not installed; its journal tests will be skipped (apt-get install postgresql)." >&2
  fi
fi
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "prerequisites: installing ${missing[*]} (Debian packages) for the libstdc++ workaround and the journal tests"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "prerequisites: this host's libstdc++ lacks GLIBCXX_3.4.32; the build patches TorchSharp's native" >&2
  echo "  library and needs: ${missing[*]}. Install them (e.g. sudo apt-get install ${missing[*]}) and retry." >&2
  exit 1
fi
