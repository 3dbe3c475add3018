#!/bin/sh
# tests/guests/doc_sessions.sh [DOC] - replays the sqlite3 shell sessions
# shown in docs/guests.md, so that what the guide shows is what a user gets.
# A session is a fenced block whose first line starts with "sqlite> ": its
# prompt lines are fed to `sqlite3 -interactive` (which echoes them with the
# prompt, as a terminal shows them), from the repository's root, and the
# whole transcript must be the block.  A line of the block ending in "..."
# matches any line that starts with what comes before it (for code offsets,
# which move whenever a compiler or an SDK changes).
# Code excerpts too: a fenced block whose first line is "// from FILE" must
# be FILE's lines as they are, one run of them; a line "..." (indented or
# not) in the block stands for any number of the file's lines.  The examples
# so quoted are the ones tests/guests/run.sh runs in every host.
# Prints one line per session or excerpt, then "N passed, M failed".
DOC=${1:-docs/guests.md}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0

# Each session into $tmp/s<N>.
awk -v dir="$tmp" '
    /^```/ { if (inblock) { inblock = 0; if (f) close(f); f = ""; next }
             inblock = 1; first = 1; next }
    inblock && first { first = 0; if ($0 ~ /^sqlite> /) f = sprintf("%s/s%d", dir, ++n) }
    inblock && f { print > f }' "$DOC"

for s in "$tmp"/s*; do
    [ -e "$s" ] || break
    n=${s##*/}
    sed -n 's/^sqlite> //p' "$s" >"$s.in"
    # The banner's two lines and the last, empty prompt are not in the block.
    timeout 60 sqlite3 -interactive <"$s.in" 2>&1 | sed '1,2d' | sed '$ { /^sqlite> $/d; }' >"$s.out"
    if awk 'NR == FNR { want[FNR] = $0; nw = FNR; next }
            { got = $0; w = want[FNR]; ng = FNR
              if (w ~ /\.\.\.$/) { p = substr(w, 1, length(w) - 3); if (substr(got, 1, length(p)) != p) bad = 1 }
              else if (got != w) bad = 1 }
            END { exit bad || nw != ng }' "$s" "$s.out"; then
        pass=$((pass + 1))
        echo "ok   $DOC: sqlite3 session $n ($(head -1 "$s.in" | cut -c1-50)...)"
    else
        fail=$((fail + 1))
        echo "FAIL $DOC: sqlite3 session $n differs (- the guide, + sqlite3):"
        diff -u "$s" "$s.out" | sed -n '3,$p' | head -30
    fi
done
# Each excerpt into $tmp/x<N>, its file's name first.
awk -v dir="$tmp" '
    /^```/ { if (inblock) { inblock = 0; if (f) close(f); f = ""; next }
             inblock = 1; first = 1; next }
    inblock && first { first = 0; if ($0 ~ /^\/\/ from [^ ]+$/) { f = sprintf("%s/x%d", dir, ++n); print $3 > f }; next }
    inblock && f { print > f }' "$DOC"
for x in "$tmp"/x*; do
    [ -e "$x" ] || break
    src=$(head -1 "$x")
    # The excerpt matches where its first line is in the file, lines in
    # turn, a "..." skipping to the next line that matches what follows it.
    if [ -f "$src" ] && awk 'NR == FNR { if (FNR > 1) want[++nw] = $0; next }
            { line[++nl] = $0 }
            END {
                for (s = 1; s <= nl; s++) {
                    if (line[s] != want[1]) continue
                    i = s; k = 1
                    while (k <= nw && i <= nl) {
                        if (want[k] ~ /^ *\.\.\.$/) { k++; while (i <= nl && line[i] != want[k]) i++; continue }
                        if (line[i] != want[k]) break
                        i++; k++
                    }
                    if (k > nw) exit 0
                }
                exit 1
            }' "$x" "$src"; then
        pass=$((pass + 1))
        echo "ok   $DOC: the excerpt of $src is the file's"
    else
        fail=$((fail + 1))
        echo "FAIL $DOC: the excerpt of $src ($(sed -n 2p "$x" | cut -c1-50)...) is not in the file as shown"
    fi
done
[ $((pass + fail)) -gt 0 ] || { fail=1; echo "FAIL $DOC: no sqlite3 session found"; }
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
