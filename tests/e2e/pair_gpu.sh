# fabguard pair with GPU memory. No machine here has a GPU, so the split is:
#  - the real CUDA runtime (libcudart from /usr/local/cuda, when present)
#    proves what happens without a driver: --mem cuda fails naming the
#    runtime's own error, --mem auto falls back to host memory and says why;
#  - the real UCX 1.13.1 (built without CUDA) proves a GPU with a UCX that
#    cannot move GPU memory is refused, not attempted;
#  - past that, tests/doubles/libcudart.c (device memory = host memory)
#    and tests/doubles/libucp_cuda.c (a CUDA-enabled UCX: preloaded over the
#    real one, it checks every send/receive names CUDA memory exactly for
#    device buffers) prove buffers are allocated, described, filled,
#    verified and freed through CUDA — with the real UCX moving the bytes.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/pair_lib.sh"
export FABGUARD_UCX_FORBID_TRANSPORTS= UCX_NET_DEVICES=lo
CUDART_D=$DOUBLES/libcudart.so
UCP_D=$(preload_of "$DOUBLES/libucp_cuda.so")
SZ="--sizes 8,65536,1048576"

# pair_run NAME SERVER_ARGS -- CLIENT_ARGS: server/client on loopback with
# the doubles preloaded; $TMP/srv.json, $TMP/cli.json, $crc, $src
pair_run() {
    local p sargs=() cargs=()
    p=$(free_port); shift
    while [ "$1" != -- ]; do sargs+=("$1"); shift; done; shift
    cargs=("$@")
    : > "$TMP/cr.srv"; : > "$TMP/cr.cli"; : > "$TMP/ur.srv"; : > "$TMP/ur.cli"
    FG_CUDART_DOUBLE_REPORT=$TMP/cr.srv FG_UCP_CUDA_DOUBLE_REPORT=$TMP/ur.srv LD_PRELOAD=$UCP_D \
        "$CLI" pair --listen 127.0.0.1:$p --timeout $((15 * TM)) --json --cudart "$CUDART_D" "${sargs[@]}" > "$TMP/srv.json" 2>"$TMP/srv.err" &
    local spid=$!; sleep 0.5
    FG_CUDART_DOUBLE_REPORT=$TMP/cr.cli FG_UCP_CUDA_DOUBLE_REPORT=$TMP/ur.cli LD_PRELOAD=$UCP_D \
        "$CLI" pair --connect 127.0.0.1:$p --timeout $((15 * TM)) --json --cudart "$CUDART_D" "${cargs[@]}" > "$TMP/cli.json" 2>"$TMP/cli.err"
    crc=$?
    wait $spid; src=$?
}
count() { sed -n "s/.*$2=\([0-9]*\).*/\1/p" "$1" | tail -1; }

# --- the real CUDA runtime, no GPU driver on this machine -------------------
if ! ldconfig -p | grep -q 'libcudart\.so' ; then
    skip "real libcudart without a driver" "no libcudart on this machine"
elif [ -e /dev/nvidiactl ]; then
    skip "real libcudart without a driver" "this machine has an NVIDIA driver"
else
    msg=$("$CLI" pair --connect 127.0.0.1:$(free_port) --mem cuda --timeout 3 2>&1); rc=$?
    expect_eq "real cudart, --mem cuda: exit 1 before connecting" "$rc" "1"
    expect_contains "real cudart, --mem cuda: step memory with the runtime's own error" "$msg" "step memory: cudaGetDeviceCount: "
    expect_contains "real cudart, --mem cuda: names the error code" "$msg" "(cudaError"
    loopback_pair $SZ
    expect_eq "real cudart, --mem auto: both clean" "$crc $src" "0 0"
    expect_eq "real cudart, --mem auto: host memory both sides" "$(j "$TMP/cli.json" 'd["local_memory"], d["remote_memory"]')" "('host', 'host')"
    expect_contains "real cudart, --mem auto: says why no GPU memory" "$(j "$TMP/cli.json" 'd["memory_note"]')" "no GPU memory: cudaGetDeviceCount: "
fi
msg=$("$CLI" pair --connect 127.0.0.1:$(free_port) --mem cuda --cudart /nonexistent/libcudart.so --timeout 3 2>&1); rc=$?
expect_eq "no CUDA runtime, --mem cuda: exit 1" "$rc" "1"
expect_contains "no CUDA runtime, --mem cuda: names the library" "$msg" "step memory: no CUDA runtime: /nonexistent/libcudart.so"

# --- a GPU (double) with the real UCX, which cannot move GPU memory --------
msg=$("$CLI" pair --connect 127.0.0.1:$(free_port) --mem cuda --cudart "$CUDART_D" --timeout 3 2>&1); rc=$?
expect_eq "GPU + UCX without CUDA, --mem cuda: exit 1" "$rc" "1"
expect_contains "GPU + UCX without CUDA, --mem cuda: refused with the reason" "$msg" "this UCX cannot move GPU memory (memory it handles: host)"
loopback_pair --cudart "$CUDART_D" $SZ
expect_eq "GPU + UCX without CUDA, --mem auto: transfer in host memory, clean" "$crc $src $(j "$TMP/cli.json" 'd["local_memory"]')" "0 0 host"
expect_contains "GPU + UCX without CUDA, --mem auto: the note names the GPU and the UCX" "$(j "$TMP/cli.json" 'd["memory_note"]')" "GPU 0 (0000:17:00.0)"

# --- GPU memory end to end: CUDA doubles, real UCX moving the bytes ---------
pair_run "cuda both" --mem cuda -- --mem cuda $SZ
expect_eq "cuda both sides: exit 0 0" "$crc $src" "0 0"
expect_eq "cuda both sides: client reports cuda here and there" "$(j "$TMP/cli.json" 'd["local_memory"], d["remote_memory"]')" "('cuda', 'cuda')"
expect_eq "cuda both sides: server reports cuda here and there" "$(j "$TMP/srv.json" 'd["local_memory"], d["remote_memory"]')" "('cuda', 'cuda')"
expect_contains "cuda both sides: the GPU named with its PCI bus id" "$(j "$TMP/cli.json" 'd["gpu"]')" "GPU 0 (0000:17:00.0) via"
expect_eq "cuda both sides: server followed the client's sizes" "$(j "$TMP/srv.json" '[r["size"] for r in d["results"]]')" "[8, 65536, 1048576]"
expect_eq "cuda both sides: the largest size verified" "$(j "$TMP/srv.json" 'd["verified_bytes"]')" "1048576"
expect_eq "cuda both sides: every data transfer described as CUDA memory, nothing misdescribed" \
    "$(count "$TMP/ur.cli" misuse) $(count "$TMP/ur.srv" misuse) $([ "$(count "$TMP/ur.cli" cuda_ops)" -gt 400 ] && echo many)" "0 0 many"
expect_eq "cuda both sides: one GPU buffer each, freed" "$(count "$TMP/cr.cli" allocs) $(count "$TMP/cr.cli" live) $(count "$TMP/cr.srv" live)" "1 0 0"
expect_eq "cuda both sides: pattern written to the GPU (client), read back (server)" "$(count "$TMP/cr.cli" h2d) $(count "$TMP/cr.srv" d2h)" "1 1"

export FG_CUDART_DOUBLE_GPUS=2
pair_run "mixed" --mem host -- --mem cuda --gpu 1 $SZ
unset FG_CUDART_DOUBLE_GPUS
expect_eq "client GPU, server host: both clean" "$crc $src" "0 0"
expect_eq "client GPU, server host: each side's memory as the other sees it" \
    "$(j "$TMP/cli.json" 'd["remote_memory"]') $(j "$TMP/srv.json" 'd["remote_memory"]')" "host cuda"
expect_contains "client GPU, server host: the second GPU used" "$(j "$TMP/cli.json" 'd["gpu"]')" "GPU 1 (0000:18:00.0)"
expect_eq "client GPU, server host: no GPU in the server" "$(count "$TMP/cr.srv" allocs)" ""
expect_eq "client GPU, server host: misuse none" "$(count "$TMP/ur.cli" misuse) $(count "$TMP/ur.srv" misuse)" "0 0"
msg=$(FG_CUDART_DOUBLE_GPUS=2 LD_PRELOAD=$UCP_D "$CLI" pair --connect 127.0.0.1:1 --mem cuda --gpu 2 --cudart "$CUDART_D" --timeout 2 2>&1); rc=$?
expect_eq "--gpu beyond the GPUs: exit 1" "$rc" "1"
expect_contains "--gpu beyond the GPUs: says how many there are" "$msg" "GPU 2 requested, $CUDART_D sees 2 GPUs"
"$CLI" pair --connect 127.0.0.1:1 --mem gpu 2>/dev/null; expect_eq "usage: --mem gpu is not a mode (exit 2)" "$?" "2"
"$CLI" pair --connect 127.0.0.1:1 --gpu x 2>/dev/null; expect_eq "usage: --gpu x (exit 2)" "$?" "2"

# --- the verification notices corrupted bytes (the double flips one) --------
export FG_UCP_DOUBLE_CORRUPT_TAG=0x33
pair_run "corrupt cuda" --mem cuda -- --mem cuda $SZ
expect_eq "corrupted GPU transfer: both exit 1" "$crc $src" "1 1"
expect_contains "corrupted GPU transfer: server says where" "$(cat "$TMP/srv.err")" "step verify with 127.0.0.1:"
expect_contains "corrupted GPU transfer: one byte, offset 1000" "$(cat "$TMP/srv.err")" "1 of 1048576 bytes differ, the first at offset 1000"
expect_contains "corrupted GPU transfer: client told" "$(cat "$TMP/cli.err")" "the peer received different bytes than were sent"
pair_run "corrupt host" --mem host -- --mem host $SZ
expect_eq "corrupted host transfer: both exit 1" "$crc $src" "1 1"
unset FG_UCP_DOUBLE_CORRUPT_TAG
