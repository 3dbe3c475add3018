# tests/lib.sh - what the command-line test scripts (tests/cli/*.sh) share.
# Sourcing it sets up $tmp (removed on exit) and the pass/fail counters;
# each script ends with: echo "$pass passed, $fail failed".
pass=0; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# expect NAME STATUS STDOUT STDERR-SUBSTRING -- COMMAND...
# Runs COMMAND; passes when its exit status and whole stdout are as given and
# stderr contains the substring (when one is given).
expect() {
    name=$1 want_rc=$2 want_out=$3 want_err=$4; shift 5
    "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?
    out=$(cat "$tmp/out")
    if [ "$rc" != "$want_rc" ] || [ "$out" != "$want_out" ] ||
       { [ -n "$want_err" ] && ! grep -qF -- "$want_err" "$tmp/err"; }; then
        echo "FAIL $name: rc=$rc out=[$out] err=[$(cat "$tmp/err")]"
        fail=$((fail + 1))
    else
        pass=$((pass + 1))
    fi
}
