#!/usr/bin/env bash
# Makes TorchSharp 0.107.0's libLibTorchSharp.so load on hosts whose libstdc++ predates
# GLIBCXX_3.4.32 (Debian 12). It patches the copy in a build output folder, never a system library,
# is idempotent, and leaves hosts with a modern libstdc++ untouched. See docs/libstdcxx-workaround.md.
# Usage: patch-libtorchsharp.sh NATIVE_DIR   (the folder holding libLibTorchSharp.so)
set -euo pipefail

native_dir=${1:?usage: patch-libtorchsharp.sh NATIVE_DIR}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
lib="$native_dir/libLibTorchSharp.so"
shim_name=libclustertrain_iosinit.so
symbol=_ZSt21ios_base_library_initv
needed_version=GLIBCXX_3.4.32

[ -f "$lib" ] || { echo "patch-libtorchsharp: $lib not found" >&2; exit 1; }

host_libstdcxx=$(ldconfig -p 2>/dev/null | awk '/libstdc\+\+\.so\.6 .*x86-64/ {print $NF; exit}')
if [ -z "$host_libstdcxx" ]; then
  for candidate in /usr/lib/x86_64-linux-gnu/libstdc++.so.6 /lib/x86_64-linux-gnu/libstdc++.so.6 /usr/lib64/libstdc++.so.6; do
    [ -f "$candidate" ] && { host_libstdcxx=$candidate; break; }
  done
fi
if [ -n "$host_libstdcxx" ] && grep -qa "$needed_version" "$host_libstdcxx"; then
  exit 0 # modern libstdc++: nothing to do
fi

if readelf -d "$lib" 2>/dev/null | grep -q "\[$shim_name\]" && [ -f "$native_dir/$shim_name" ]; then
  exit 0 # already patched
fi

missing=()
for tool in patchelf cc python3 readelf; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "patch-libtorchsharp: error: this host's libstdc++ lacks $needed_version, which TorchSharp's" >&2
  echo "  libLibTorchSharp.so needs; patching it needs: ${missing[*]}." >&2
  echo "  On Debian/Ubuntu: apt-get install patchelf gcc python3 binutils" >&2
  exit 1
fi

tmp="$lib.patching"
cp "$lib" "$tmp"
python3 "$here/mark_version_weak.py" "$tmp" "$needed_version"
patchelf --clear-symbol-version "$symbol" "$tmp"
cc -shared -fPIC -O2 -o "$native_dir/$shim_name" "$here/ios_base_library_init.c"
patchelf --add-needed "$shim_name" "$tmp"
mv -f "$tmp" "$lib"
echo "patch-libtorchsharp: patched $lib for a libstdc++ without $needed_version"
