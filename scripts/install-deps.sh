#!/bin/sh
# Installs the Debian 12 packages wasmbox needs to build, test and demo.
# Idempotent: does nothing when everything is present.
set -e
PKGS="build-essential clang lld wabt libjansson-dev wasi-libc
      postgresql-15 postgresql-server-dev-15 libsqlite3-dev sqlite3 python3
      libevent-dev libcurl4-openssl-dev libssl-dev libclang-rt-14-dev-wasm32 curl
      libprotobuf-c-dev protobuf-c-compiler containerd runc libnghttp2-dev
      rustc libstd-rust-dev-wasm32"
# Guests in AssemblyScript need node and npm (any node >= 20, as Debian's
# nodejs or another build, is kept; without one, Debian's are installed).
command -v npm >/dev/null 2>&1 || PKGS="$PKGS nodejs npm"
# `install-deps.sh bench`: also what `make bench` compares against (pllua is
# the anchor for compute-heavy UDFs).
[ "${1:-}" = bench ] && PKGS="$PKGS postgresql-15-pllua"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
        missing="$missing $p"
done
# The AssemblyScript compiler, pinned by sdk/assemblyscript/package-lock.json,
# into sdk/assemblyscript/node_modules.  `npm ci` reaches the registry only
# when node_modules does not match the lock file (the copy of the lock file
# left there says which it was installed from): offline after the first time.
npm_sdk() {
    d=$(dirname "$0")/../sdk/assemblyscript
    cmp -s "$d/package-lock.json" "$d/node_modules/.wasmbox-lock" 2>/dev/null && return 0
    echo "install-deps: npm ci in sdk/assemblyscript (assemblyscript, as pinned)"
    (cd "$d" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) &&
        cp "$d/package-lock.json" "$d/node_modules/.wasmbox-lock"
}
if [ -z "$missing" ]; then
    npm_sdk
    exit
fi
if [ "$(id -u)" != 0 ]; then
    echo "install-deps: missing packages:$missing (run as root)" >&2
    exit 1
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
apt-get install -y -q --no-install-recommends $missing >/dev/null
npm_sdk
