# tests/containerd/lib.sh - a private containerd for the tests and the
# benchmark: its own config, root, state and sockets under a temp dir, the
# shim under test first on its PATH; always stopped, its mounts undone and
# its shims ended, even when the caller fails.  Sourced; needs B (the build
# directory) and sets CT (the temp dir) and CTR (ctr with the address and
# namespace).
#
#   ctd_start      start it (returns 1 with the reason in $CT/why if it cannot)
#   ctd_stop       stop it, its shims and mounts (safe to call twice)
#   ctd_restart    stop containerd only (SIGTERM) and start it again

CT=$(mktemp -d /tmp/wbctd.XXXXXX)
NS=wbtest
CTR="ctr -a $CT/c.sock -n $NS"
mkdir -p "$CT/bin"
ln -sf "$(cd "$B" && pwd)/containerd-shim-wasmbox-v1" "$CT/bin/"

ctd_config() {
    snap=overlayfs
    grep -qw overlay /proc/filesystems || snap=native
    cat >"$CT/config.toml" <<CFG
version = 2
root = "$CT/root"
state = "$CT/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.aufs", "io.containerd.internal.v1.tracing"]
[grpc]
  address = "$CT/c.sock"
[plugins."io.containerd.service.v1.diff-service"]
  default = ["walking"]
CFG
    echo "$snap" >"$CT/snapshotter"
}

ctd_run() {
    PATH="$CT/bin:$PATH" WASMBOX_SHIM_RUN="$CT/shims" containerd --log-level ${CTD_LOG_LEVEL:-info} --config "$CT/config.toml" >>"$CT/containerd.log" 2>&1 &
    CTD_PID=$!
    for _ in $(seq 100); do
        [ -S "$CT/c.sock" ] && $CTR version >/dev/null 2>&1 && return 0
        kill -0 $CTD_PID 2>/dev/null || break
        sleep 0.1
    done
    return 1
}

ctd_start() {
    if [ "$(id -u)" != 0 ]; then echo "not root: containerd needs root" >"$CT/why"; return 1; fi
    for t in containerd ctr; do
        command -v $t >/dev/null || { echo "$t is not installed (scripts/install-deps.sh)" >"$CT/why"; return 1; }
    done
    ctd_config
    if ! ctd_run; then
        echo "containerd did not start: $(tail -3 "$CT/containerd.log")" >"$CT/why"
        return 1
    fi
}

ctd_restart() {
    kill -TERM $CTD_PID 2>/dev/null
    for _ in $(seq 100); do kill -0 $CTD_PID 2>/dev/null || break; sleep 0.1; done
    kill -9 $CTD_PID 2>/dev/null
    wait $CTD_PID 2>/dev/null
    ctd_run
}

# The shims this containerd started (their pids are in $CT/shims/*.pid).
ctd_shims() { cat "$CT"/shims/*.pid 2>/dev/null; }

ctd_stop() {
    [ -n "$CTD_PID" ] && kill -9 $CTD_PID 2>/dev/null
    for p in $(ctd_shims); do kill -9 "$p" 2>/dev/null; done
    sleep 0.2
    # Mounts under the temp dir, deepest first.
    grep " $CT/" /proc/self/mounts | awk '{print $2}' | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
    rm -rf "$CT" 2>/dev/null
    CTD_PID=
}
