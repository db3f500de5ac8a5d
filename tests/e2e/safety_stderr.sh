# stderr of the shim: every line names its process (fabguard[host:pid rank N]),
# a backtrace block is one write(2) so ranks sharing a pipe never interleave,
# frames are printed honestly (object+0xoffset unless the symbol covers the
# address), and an abort on NCCL's reader thread names the application's call.
source "$(dirname "$0")/lib.sh"
host=$(hostname)
printf '[fabguard]\nmode = enforce\n[ucx]\nforbid_transportz = tcp\n' > "$TMP/broken.ini"
strip -o "$TMP/libsafety_bt.so" "$PROGS/libsafety_bt.so"
abort_bt() { FABGUARD_POLICY=$TMP/broken.ini FABGUARD_MODE=enforce with_shim "$PROGS/safety_bt" "$TMP/libsafety_bt.so"; }

# --- honest frames (item 23) ---
out=$(abort_bt 2>&1)
expect_contains "backtrace: a hidden function of a stripped library is object+0xoffset" "$out" "libsafety_bt.so+0x"
expect_not_contains "backtrace: not the unrelated 3-byte exported neighbour" "$out" "fg_bt_tiny+"
expect_contains "backtrace: a covering exported symbol is still named" "$out" "fg_bt_run+0x"
expect_not_contains "backtrace: no far-away libc symbol (__libc_init_first+138)" "$out" "__libc_init_first+"

# --- an abort on NCCL's reader thread (lazy connection) ---
out=$(FABGUARD_MODE=enforce FABGUARD_MANAGEMENT_IFACES=none FG_NCCL_DOUBLE_SCENARIO=lazy_socket \
      LD_LIBRARY_PATH=$DOUBLES with_shim "$PROGS/nccl_init" 1 collective 2>&1)
expect_contains "lazy-channel abort: names what the application was doing" "$out" "while the application was in a collective on communicator 0x"
expect_not_contains "lazy-channel abort: no reader-thread frames presented as the caller's" "$out" ":   #0 "
expect_contains "lazy-channel abort: rank from the communicator" "$out" "fabguard[$host:"

# --- identity on every line (item 24) ---
for v in OMPI_COMM_WORLD_RANK PMIX_RANK PMI_RANK SLURM_PROCID RANK; do
    out=$(export "$v=5"; UCX_TLS=tcp with_shim "$PROGS/ucx_ep" -n 1 2>&1 >/dev/null)
    expect_contains "identity: $v: the violation is printed" "$out" "VIOLATION ucx endpoint"
    expect_eq "identity: $v gives the rank on every fabguard line" \
        "$(echo "$out" | grep -c '^fabguard')" "$(echo "$out" | grep -cE "^fabguard\[$host:[0-9]+ rank 5\]: ")"
done
out=$(LOCAL_RANK=2 UCX_TLS=tcp with_shim "$PROGS/ucx_ep" -n 1 2>&1 >/dev/null)
expect_contains "identity: torchrun's LOCAL_RANK alone" "$out" "local_rank 2]: VIOLATION"
out=$(UCX_TLS=tcp with_shim "$PROGS/ucx_ep" -n 1 2>&1 >/dev/null)
expect_eq "identity: without a launcher, host:pid" "$(echo "$out" | grep -c '^fabguard')" "$(echo "$out" | grep -cE "^fabguard\[$host:[0-9]+\]: ")"

# --- 8 ranks aborting at once into one pipe: blocks never interleave ---
( for r in 0 1 2 3 4 5 6 7; do OMPI_COMM_WORLD_RANK=$r abort_bt & done; wait ) 2>&1 | cat > "$TMP/pipe.txt"
verdict=$(python3 - "$TMP/pipe.txt" <<'PY'
import re, sys
lines = open(sys.argv[1]).read().splitlines()
fg = [l for l in lines if l.startswith("fabguard")]
ids = [re.match(r"fabguard\[[^]]+ rank \d\]: ", l) for l in fg]
if not all(ids): print("a fabguard line without identity"); sys.exit()
ranks, i = set(), 0
while i < len(lines):
    m = re.match(r"(fabguard\[[^]]+\]): caller backtrace", lines[i])
    if m:
        j = i + 1
        while j < len(lines) and "aborting (fabguard.on_violation=abort)" not in lines[j]:
            if not lines[j].startswith(m.group(1) + ":   #"):
                print("block of %s interrupted by: %s" % (m.group(1), lines[j][:80])); sys.exit()
            j += 1
        if j == len(lines) or not lines[j].startswith(m.group(1)):
            print("block of %s not closed by its own line" % m.group(1)); sys.exit()
        ranks.add(m.group(1)); i = j
    i += 1
print("blocks %d" % len(ranks))
PY
)
expect_eq "8 concurrent aborts on one pipe: 8 whole blocks, none interleaved" "$verdict" "blocks 8"
