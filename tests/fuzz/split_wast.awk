# split_wast.awk - cuts .wast scripts into one file per top-level command,
# the seeds of `make fuzz-wat` (small inputs run many times faster than
# whole scripts): every command with a module, a sample of the others.
# Strings, line comments and nested block comments are followed so that
# their parentheses do not count.
#   awk -v out=DIR -f tests/fuzz/split_wast.awk FILE.wast...
FNR == 1 { depth = 0; instr = 0; bc = 0; cmd = ""; base = FILENAME; sub(/.*\//, "", base); sub(/\.wast$/, "", base); k = 0 }
{
    line = $0
    n = length(line)
    for (i = 1; i <= n; i++) {
        c = substr(line, i, 1)
        if (instr) {
            if (c == "\\") i++
            else if (c == "\"") instr = 0
            continue
        }
        d = substr(line, i, 2)
        if (bc) {
            if (d == "(;") { bc++; i++ }
            else if (d == ";)") { bc--; i++ }
            continue
        }
        if (d == ";;") break
        if (d == "(;") { bc = 1; i++; continue }
        if (c == "\"") instr = 1
        else if (c == "(") depth++
        else if (c == ")" && --depth == 0) {
            cmd = cmd substr(line, 1, i) "\n"
            line = substr(line, i + 1); n = length(line); i = 0
            # Every module; of the assertions on calls, a sample.
            if (cmd ~ /\(module/ || k % 25 == 0) {
                printf "%s", cmd >(out "/" base "." k ".wast")
                close(out "/" base "." k ".wast")
            }
            k++
            cmd = ""
        }
    }
    if (depth > 0 || bc > 0) cmd = cmd line "\n"
}
