# tests/wasi/cases.sh - the WASI conformance cases, sourced by
# tests/cli/wasi.sh (which runs them with `wasmbox run` and compares) and
# tests/wasi/record.sh (which recorded the expected outputs with node).
#
# run_cases RUN PROGDIR OUTDIR: runs each case as `$RUN [OPTIONS] PROG.wasm
# ARGS`, writing OUTDIR/NAME.stdout, NAME.stderr and NAME.exit.  Preopened
# directories are made afresh in a temporary directory for each case.

# fresh_tree DIR: the tree the file and escape cases see as /sandbox, with a
# file beside it that must stay out of reach and symlinks pointing out.
fresh_tree() {
    rm -rf "$1"
    mkdir -p "$1/box/sub"
    printf 'given content\n' >"$1/box/given.txt"
    printf 'a\n' >"$1/box/sub/a.txt"
    printf 'inside\n' >"$1/box/inside.txt"
    printf 'secret\n' >"$1/secret"
    ln -s / "$1/box/out"
    ln -s ../secret "$1/box/up"
}

run_cases() {
    run=$1 progs=$2 out=$3
    work=$(mktemp -d)
    mkdir -p "$out"
    one() { # NAME [OPTIONS] PROG.wasm [ARGS...]   (stdin from $input)
        name=$1
        shift
        $run "$@" 2>"$out/$name.stderr" >"$out/$name.stdout" <"$input"
        echo $? >"$out/$name.exit"
    }
    input=/dev/null
    one floats "$progs/floats.wasm"
    one memory "$progs/memory.wasm"
    printf 'first line\nsecond, with UTF-8: \303\274\n\nlast line without newline' >"$work/input"
    input=$work/input
    one stdin "$progs/stdin.wasm"
    input=/dev/null
    one args --env GREETING=hello --env EMPTY= --env 'EQ=a=b' "$progs/args.wasm" 7 alpha --beta=1 "two words" ""
    one args_noenv "$progs/args.wasm"
    one args_return "$progs/args.wasm" 99
    one clock "$progs/clock.wasm"
    fresh_tree "$work/t"
    one files --dir "$work/t/box::/sandbox" "$progs/files.wasm"
    fresh_tree "$work/t"
    one escape --dir "$work/t/box::/sandbox" "$progs/escape.wasm"
    [ -e "$work/t/made" ] && echo "ESCAPED: made a directory outside" >>"$out/escape.stdout"
    [ -e "$work/t/stolen" ] && echo "ESCAPED: renamed a file outside" >>"$out/escape.stdout"
    rm -rf "$work"
}
