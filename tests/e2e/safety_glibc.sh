# glibc floor 2.17: libfabguard.so must load on any glibc >= 2.17 (an unmet
# version requirement of a preload stops every process of the pod). Every
# versioned import is checked, and the build step that enforces it is shown
# to reject a library that needs a newer glibc.
source "$(dirname "$0")/lib.sh"

newest() {  # newest VERSION… -> the highest GLIBC_x.y[.z]
    python3 -c '
import sys
def key(v): return tuple(int(x) for x in v[len("GLIBC_"):].split("."))
vs = [v for v in sys.argv[1:] if v.startswith("GLIBC_2")]
print(max(vs, key=key) if vs else "none")' "$@"
}
le_217() { python3 -c 'import sys; v=sys.argv[1][6:]; sys.exit(0 if tuple(map(int, v.split("."))) <= (2, 17) else 1)' "$1"; }

needs=$(readelf -V --wide "$SHIM" | sed -n '/Version needs/,$p' | grep -oE 'Name: GLIBC_[A-Z0-9_.]+' | awk '{print $2}')
top=$(newest $needs)
echo "# readelf -V $SHIM (version needs): $(echo $needs)"
check "readelf -V: newest required glibc version is <= GLIBC_2.17 (got $top)" le_217 "$top"
expect_eq "readelf -V: no GLIBC_PRIVATE requirement" "$(echo "$needs" | grep -c GLIBC_PRIVATE)" "0"

# every versioned import, one by one (fortify __*_chk, stat/fstat, fcntl64,
# pthread_*, dl*, __libc_single_threaded … all show up here)
bad=$(objdump -T "$SHIM" | awk '/\*UND\*/ && /GLIBC_/ {v=$(NF-1); gsub(/[()]/, "", v); print $NF, v}' |
      while read -r sym ver; do le_217 "$ver" || echo "$sym@$ver"; done)
expect_eq "every versioned import binds to GLIBC_2.17 or older" "$bad" ""
old_dl=$(objdump -T "$SHIM" | awk '/\*UND\*/ && / (dlopen|dlsym|dladdr|dladdr1|pthread_create)$/ {print $NF "@" $(NF-1)}' | tr -d '()' | sort | tr '\n' ' ')
echo "# $old_dl"
expect_not_contains "dl*/pthread_create use their pre-2.34 versions" "$old_dl" "GLIBC_2.34"
expect_not_contains "no fstat@GLIBC_2.33 (stat and fstat go to the kernel)" "$(objdump -T "$SHIM")" "GLIBC_2.33"

# on glibc < 2.34 the old dl*/pthread_* versions live in libdl/libpthread
needed=$(readelf -d "$SHIM" | grep NEEDED | grep -oE '\[[^]]+\]' | tr -d '[]' | tr '\n' ' ')
expect_contains "DT_NEEDED keeps libdl.so.2 (old glibc: dlopen lives there)" "$needed" "libdl.so.2"
expect_contains "DT_NEEDED keeps libpthread.so.0 (old glibc: pthread_create lives there)" "$needed" "libpthread.so.0"

# the make step rejects a library that needs a newer glibc
printf '#include <dlfcn.h>\nvoid *fg_x(void) { return dlopen("x", RTLD_NOW); }\n' > "$TMP/new.c"
cc -shared -fPIC -o "$TMP/new.so" "$TMP/new.c"
if objdump -T "$TMP/new.so" | grep -q 'GLIBC_2.3[4-9]'; then
    out=$(sh shim/glibc_floor.sh "$TMP/new.so" 2.17 2>&1); rc=$?
    expect_eq "floor check fails the build for a GLIBC_2.34 import" "$rc" "1"
    expect_contains "floor check names the version" "$out" "GLIBC_2.34"
    out=$(cc -shared -fPIC -include include/fabguard/glibc_compat.h -o "$TMP/old.so" "$TMP/new.c" && sh shim/glibc_floor.sh "$TMP/old.so" 2.17 2>&1); rc=$?
    expect_eq "the compat header brings the same code under the floor" "$rc" "0"
else
    skip "floor check rejects GLIBC_2.34" "this glibc is older than 2.34: nothing newer to reject"
fi

# still loads and works on this glibc with the old versions bound
out=$(LD_DEBUG=bindings with_shim /bin/true 2>&1 | grep -E "binding file .*libfabguard.so.* to .*libc.so.6.*symbol .dlopen." | head -1)
[ "${FG_SANITIZE:-0}" = 1 ] || expect_contains "dlopen binds to libc's compat version GLIBC_2.2.5" "$out" "[GLIBC_2.2.5]"
