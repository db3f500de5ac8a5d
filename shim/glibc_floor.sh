#!/bin/sh
# glibc_floor.sh SO [MAX]: fail when SO requires a glibc symbol version newer
# than MAX (default 2.17, the manylinux2014 floor) or GLIBC_PRIVATE. Reads the
# version-needs section (readelf -V), i.e. every versioned import.
so=$1 max=${2:-2.17}
[ -f "$so" ] || { echo "glibc_floor: $so: no such file" >&2; exit 2; }
readelf -V --wide "$so" | awk -v max="$max" -v so="$so" '
    function key(v,   a, n) { n = split(v, a, "."); return a[1] * 1000000 + a[2] * 1000 + (n > 2 ? a[3] : 0) }
    /Version needs section/ { inneed = 1; next }
    /Version (definition|symbols) section/ { inneed = 0 }
    inneed && /Name: GLIBC_/ {
        for (i = 1; i <= NF; i++) if ($i == "Name:") v = $(i + 1)
        ver = substr(v, 7)
        if (v == "GLIBC_PRIVATE" || key(ver) > key(max)) { bad = bad " " v }
        if (key(ver) > key(top)) top = ver
    }
    END {
        if (bad != "") {
            printf "glibc_floor: %s requires%s (newer than GLIBC_%s); see include/fabguard/glibc_compat.h\n", so, bad, max > "/dev/stderr"
            exit 1
        }
        printf "glibc_floor: %s: newest glibc version required GLIBC_%s (floor GLIBC_%s)\n", so, top, max
    }'
