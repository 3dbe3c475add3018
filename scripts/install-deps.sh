#!/bin/sh
# Installs the Debian 12 packages wasmbox needs to build, test and demo.
# Idempotent: does nothing when everything is present.
set -e
PKGS="build-essential clang lld wabt libjansson-dev wasi-libc
      postgresql-15 postgresql-server-dev-15 libsqlite3-dev sqlite3 python3
      libevent-dev libcurl4-openssl-dev libssl-dev libclang-rt-14-dev-wasm32 curl
      libprotobuf-c-dev protobuf-c-compiler containerd runc"
# `install-deps.sh bench`: also what `make bench` compares against (pllua is
# the anchor for compute-heavy UDFs).
[ "${1:-}" = bench ] && PKGS="$PKGS postgresql-15-pllua"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
        missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
    echo "install-deps: missing packages:$missing (run as root)" >&2
    exit 1
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
apt-get install -y -q --no-install-recommends $missing >/dev/null
