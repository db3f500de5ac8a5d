#!/bin/bash
# libfabric under the shim, with the real libfabric 1.17 (tcp, sockets,
# udp, shm providers): fi_pingpong from libfabric-bin and tests/progs/fi_open
# over loopback. The EFA case uses tests/doubles/libefa-fi.so, loaded by
# libfabric itself from FI_PROVIDER_PATH; no tcp/sockets result needs it.
# Two network-namespace hosts: tests/e2e/libfabric_netns.sh.
. "$(dirname "$0")/lib.sh"

FI_OPEN=$PROGS/fi_open
if ! command -v fi_pingpong >/dev/null || [ ! -x "$FI_OPEN" ]; then
    skip "libfabric" "fi_pingpong (libfabric-bin) or $FI_OPEN missing"
    exit 0
fi
unset FI_PROVIDER FI_PROVIDER_PATH FI_TCP_IFACE FI_SOCKETS_IFACE FI_HOOK
# Loopback stands in for the management NIC: the tcp/sockets providers are
# pinned to lo (their domain is then "lo") and the policy calls lo management.
export FI_TCP_IFACE=lo FI_SOCKETS_IFACE=lo

# pingpong NAME LOG ARGS…: server and client on 127.0.0.1, both under the
# shim, events appended to LOG. Sets PP_OUT (client output) and PP_RC.
pingpong() {
    local name=$1 log=$2 port srv; shift 2
    port=$(free_port)
    FABGUARD_LOG=$log with_shim timeout 60 fi_pingpong "$@" -I 3 -S 64 -B "$port" \
        >"$TMP/$name.srv" 2>&1 &
    srv=$!
    wait_listen "$port"
    PP_OUT=$(FABGUARD_LOG=$log with_shim timeout 60 fi_pingpong "$@" -I 3 -S 64 \
        -P "$port" 127.0.0.1 2>&1)
    PP_RC=$?
    wait "$srv"
    PP_SRV_RC=$?
}
count() { grep -c -- "$2" "$1" 2>/dev/null || true; }
# wait_listen PORT [CMD-PREFIX…]: until a socket listens on PORT (30 s at
# most; a loaded machine or a sanitizer build starts the server slowly).
# Polled with ss, never by connecting: fi_pingpong would take that as its client.
wait_listen() {
    local port=$1 i; shift
    for i in $(seq 1 300); do
        "$@" ss -ltnH "sport = :$port" 2>/dev/null | grep -q . && return 0
        sleep 0.1
    done
    return 1
}

# --- the shim itself -------------------------------------------------------
check "shim does not link libfabric" sh -c "! ldd '$SHIM' | grep -q libfabric"
exports=$(nm -D --defined-only "$SHIM" | awk '{print $3}')
for v in fi_getinfo@@FABRIC_1.3 fi_getinfo@FABRIC_1.2 fi_getinfo@FABRIC_1.1 \
         fi_getinfo@FABRIC_1.0 fi_fabric@@FABRIC_1.1 fi_fabric@FABRIC_1.0; do
    expect_contains "exports $v (libfabric's own version nodes)" "$exports" "$v"
done
expect_not_contains "no fi_domain/fi_endpoint/data-path export" \
    "$(echo "$exports" | grep -E '^fi_(domain|endpoint|send|recv|read|write|cq|mr)' || true)" "fi_"
if [ "$(uname -m)" = x86_64 ]; then
    expect_contains "dlvsym bound to its glibc 2.2.5 version" \
        "$(readelf -W --dyn-syms "$SHIM" | grep ' dlvsym@')" "dlvsym@GLIBC_2.2.5"
fi

# --- inert -----------------------------------------------------------------
plain=$(fi_info -p tcp 2>&1)
shimmed=$(FABGUARD_LOG=$TMP/inert.jsonl with_shim fi_info -p tcp 2>&1)
expect_eq "fi_info output unchanged under the shim" "$shimmed" "$plain"
check "fi_info (fi_getinfo only) writes no event" test ! -e "$TMP/inert.jsonl"

# --- tcp on the management NIC ---------------------------------------------
export FABGUARD_MANAGEMENT_IFACES=lo
L=$TMP/tcp_msg.jsonl
pingpong tcp_msg "$L" -p tcp -e msg
expect_eq "fi_pingpong tcp msg completes in warn mode" "$PP_RC/$PP_SRV_RC" "0/0"
expect_contains "tcp msg: stderr names the management NIC" "$PP_OUT" \
    "VIOLATION libfabric domain provider tcp uses domain lo (management NIC)"
expect_eq "tcp msg: forbid_providers at fi_fabric, both sides" \
    "$(grep '"event":"fabric"' "$L" | count /dev/stdin '"rule":"libfabric.forbid_providers"')" 2
expect_eq "tcp msg: management NIC at fi_domain, both sides" \
    "$(grep '"event":"domain"' "$L" | count /dev/stdin '"rule":"fabguard.management_ifaces"')" 2
expect_contains "tcp msg: endpoint recorded with its type" "$(cat "$L")" \
    '"event":"endpoint","verdict":"ok","provider":"tcp","fabric":"127.0.0.1/32","domain":"lo","ep_type":"msg"'

L=$TMP/rxm.jsonl
pingpong rxm "$L" -p "tcp;ofi_rxm" -e rdm
expect_eq "fi_pingpong tcp;ofi_rxm rdm completes in warn mode" "$PP_RC/$PP_SRV_RC" "0/0"
expect_contains "tcp;ofi_rxm caught by forbid_providers = tcp (a layer of the name)" \
    "$(cat "$L")" '"lib":"libfabric","event":"fabric","verdict":"violation","rule":"libfabric.forbid_providers","provider":"tcp;ofi_rxm"'

L=$TMP/sockets.jsonl
pingpong sockets "$L" -p sockets -e msg
expect_contains "sockets on lo caught" "$(cat "$L")" \
    '"rule":"fabguard.management_ifaces","provider":"sockets","fabric":"127.0.0.1/32","domain":"lo"'

# --- allowed: tcp permitted by the policy, lo not management -----------------
L=$TMP/allowed.jsonl
FABGUARD_LIBFABRIC_FORBID_PROVIDERS= FABGUARD_MANAGEMENT_IFACES=eth9 \
    pingpong allowed "$L" -p tcp -e msg
expect_eq "allowed tcp: pingpong completes" "$PP_RC/$PP_SRV_RC" "0/0"
expect_eq "allowed tcp: no violation" "$(count "$L" '"verdict":"violation"')" 0
expect_eq "allowed tcp: fabric, domain, endpoint ok on both sides" \
    "$(grep -cE '"event":"(fabric|domain|endpoint)","verdict":"ok"' "$L")" 6

# --- shm is clean under the default policy ----------------------------------
L=$TMP/shm.jsonl
pingpong shm "$L" -p shm -e rdm
expect_eq "shm: pingpong completes" "$PP_RC/$PP_SRV_RC" "0/0"
expect_eq "shm: no violation" "$(count "$L" '"verdict":"violation"')" 0
expect_contains "shm: domain recorded" "$(cat "$L")" \
    '"event":"domain","verdict":"ok","provider":"shm","fabric":"shm","domain":"shm","ep_type":"rdm"'

# --- off ---------------------------------------------------------------------
L=$TMP/off.jsonl
out=$(FABGUARD_MODE=off FABGUARD_LOG=$L with_shim "$FI_OPEN" --prov tcp 2>&1)
expect_contains "mode off: the program runs" "$out" "getinfo=0 fabric=0 domain=0 endpoint=0"
check "mode off: no event" test ! -e "$L"

# --- enforce ---------------------------------------------------------------
L=$TMP/fail.jsonl
out=$(FABGUARD_MODE=enforce FABGUARD_ON_VIOLATION=fail FABGUARD_LOG=$L \
      with_shim "$FI_OPEN" --prov tcp 2>&1)
expect_contains "enforce+fail: fi_getinfo answers -FI_ENODATA when only tcp is asked for" \
    "$out" "getinfo=-61 fabric=1"
expect_contains "enforce+fail: the refusal is reported" "$(cat "$L" 2>/dev/null)" \
    '"fi_api":"fi_getinfo@FABRIC_1.3","candidates_refused":'
out=$(FABGUARD_MODE=enforce FABGUARD_ON_VIOLATION=fail FABGUARD_LOG=$TMP/fail2.jsonl \
      with_shim "$FI_OPEN" 2>&1)
expect_contains "enforce+fail: an open request gets the allowed provider (shm)" "$out" \
    "getinfo=0 fabric=0 domain=0 endpoint=0 provider=shm"
out=$(FABGUARD_MODE=enforce FABGUARD_ON_VIOLATION=fail FABGUARD_LIBFABRIC_FORBID_PROVIDERS=sockets \
      FABGUARD_LOG=$TMP/fail3.jsonl with_shim "$FI_OPEN" --prov tcp 2>&1)
expect_contains "enforce+fail: tcp allowed as a provider is still refused on the management NIC" \
    "$out" "getinfo=-61"
out=$(FABGUARD_MODE=enforce FABGUARD_ON_VIOLATION=fail with_shim "$FI_OPEN" --attr-only 127.0.0.1/32 --prov tcp 2>&1)
expect_contains "enforce+fail: fi_fabric on a refused provider without fi_getinfo gets -FI_EPERM" \
    "$out" "getinfo=none fabric=-1"
out=$(FABGUARD_MODE=warn with_shim "$FI_OPEN" --attr-only 127.0.0.1/32 --prov tcp 2>&1)
expect_contains "warn: the same fi_fabric opens" "$out" "getinfo=none fabric=0"
# in $TMP: libinfinipath's handler drops a <prog>.80s-<pid>,<host>.btr file in the cwd
out=$(cd "$TMP" && FABGUARD_MODE=enforce FABGUARD_ON_VIOLATION=abort with_shim "$FI_OPEN" --prov tcp 2>&1)
rc=$?
# Debian's libfabric links libinfinipath (PSM), whose SIGABRT handler prints
# "terminated with signal 6" and exits 1: the application's handler wins.
if [ "$rc" = 134 ] || { [ "$rc" != 0 ] && printf '%s' "$out" | grep -q "terminated with signal 6"; }; then
    pass "enforce+abort: SIGABRT at fi_fabric"
else
    fail "enforce+abort: SIGABRT at fi_fabric" "rc=$rc"
fi
expect_contains "enforce+abort: caller backtrace from the fi_fabric wrapper" "$out" \
    "caller backtrace (from fabric_common)"
expect_contains "enforce+abort: message names the provider" "$out" \
    "VIOLATION libfabric fabric provider tcp;ofi_rxm"
expect_not_contains "enforce+abort: nothing opened after the verdict" "$out" "getinfo=0"
FABGUARD_MODE=enforce FABGUARD_ON_VIOLATION=exit with_shim "$FI_OPEN" --prov sockets --ep msg \
    >/dev/null 2>&1
expect_eq "enforce+exit: exit status 3" "$?" 3

# --- HMEM ------------------------------------------------------------------
L=$TMP/hmem.jsonl
FABGUARD_LIBFABRIC_FORBID_PROVIDERS= FABGUARD_MANAGEMENT_IFACES=eth9 FABGUARD_LIBFABRIC_HMEM=require \
    FABGUARD_LOG=$L with_shim "$FI_OPEN" --prov tcp >/dev/null 2>&1
expect_contains "hmem=require: a tcp domain without FI_HMEM is a violation" "$(cat "$L")" \
    '"event":"domain","verdict":"violation","rule":"libfabric.hmem"'

# --- the 1.0 ABI (a binary linked against libfabric 1.0) ----------------------
L=$TMP/abi10.jsonl
out=$(FABGUARD_LOG=$L with_shim "$FI_OPEN" --abi10 --prov tcp --domain lo 2>&1)
expect_contains "FABRIC_1.0 binary: runs" "$out" "getinfo=0 fabric=0 domain=0 endpoint=0 provider=tcp"
expect_contains "FABRIC_1.0 binary: fi_fabric@FABRIC_1.0 observed" "$(cat "$L")" \
    '"provider":"tcp","fabric":"127.0.0.1/32","fi_api":"fi_fabric@FABRIC_1.0"'
expect_contains "FABRIC_1.0 binary: domain judged" "$(cat "$L")" \
    '"event":"domain","verdict":"violation","rule":"fabguard.management_ifaces"'

# --- EFA (provider double through FI_PROVIDER_PATH) ---------------------------
if [ -e "$DOUBLES/libefa-fi.so" ]; then
    L=$TMP/efa.jsonl
    out=$(FI_PROVIDER_PATH=$DOUBLES FABGUARD_LIBFABRIC_HMEM=require \
          FABGUARD_LIBFABRIC_ALLOW_DOMAINS='rdmap*' FABGUARD_LOG=$L \
          with_shim "$FI_OPEN" --hmem 2>&1)
    expect_contains "efa: libfabric picks the efa provider" "$out" "provider=efa domain_name=rdmap0s31-rdm"
    expect_eq "efa: no violation (hmem required, domains rdmap*)" "$(count "$L" '"verdict":"violation"')" 0
    expect_contains "efa: domain recorded with FI_HMEM" "$(cat "$L")" \
        '"event":"domain","verdict":"ok","provider":"efa","fabric":"efa","domain":"rdmap0s31-rdm","ep_type":"rdm","hmem":true'
    L=$TMP/efa_fallback.jsonl
    out=$(FI_PROVIDER_PATH=$DOUBLES FG_EFA_DOUBLE_NODEVICE=1 FABGUARD_LOG=$L \
          with_shim "$FI_OPEN" 2>&1)
    expect_contains "efa without a device: libfabric silently falls back" "$out" "provider=tcp;ofi_rxm"
    expect_contains "efa without a device: the fallback is caught" "$out" \
        "VIOLATION libfabric fabric provider tcp;ofi_rxm"
    L=$TMP/efa_enforce.jsonl
    out=$(FI_PROVIDER_PATH=$DOUBLES FG_EFA_DOUBLE_NODEVICE=1 FABGUARD_MODE=enforce \
          FABGUARD_ON_VIOLATION=fail FABGUARD_LIBFABRIC_FORBID_PROVIDERS='tcp, sockets, udp, net, shm' \
          FABGUARD_LOG=$L with_shim "$FI_OPEN" 2>&1)
    expect_contains "efa without a device, enforce+fail: -FI_ENODATA instead of a fallback" \
        "$out" "getinfo=-61"
else
    skip "efa double" "$DOUBLES/libefa-fi.so not built"
fi

# --- libfabric only in a plugin's scope (aws-ofi-nccl inside NCCL) ----------
L=$TMP/plugin.jsonl
out=$(FABGUARD_LOG=$L with_shim "$PROGS/noucx_dlopen" "$PROGS/libfi_plugin.so" 2>&1)
expect_contains "RTLD_LOCAL plugin: runs" "$out" "plugin 1 status 0"
expect_contains "RTLD_LOCAL plugin: its fabric is judged" "$(cat "$L")" \
    '"prog":"noucx_dlopen","lib":"libfabric","event":"fabric","verdict":"violation","rule":"libfabric.forbid_providers","provider":"tcp;ofi_rxm"'
expect_contains "RTLD_LOCAL plugin: its endpoint is recorded" "$(cat "$L")" \
    '"event":"endpoint","verdict":"ok","provider":"tcp;ofi_rxm"'
if command -v patchelf >/dev/null; then
    # a second, renamed libfabric beside the system one (as wheels bundle it)
    real=$(readlink -f "$(ldd "$PROGS/libfi_plugin.so" | awk '/libfabric.so/{print $3}')")
    cp "$real" "$TMP/libfabric-fg1e2d.so.1" && patchelf --set-soname libfabric-fg1e2d.so.1 "$TMP/libfabric-fg1e2d.so.1"
    cp "$PROGS/libfi_plugin.so" "$TMP/fiplugin2.so"
    patchelf --replace-needed libfabric.so.1 libfabric-fg1e2d.so.1 "$TMP/fiplugin2.so" &&
        patchelf --set-rpath "$TMP" "$TMP/fiplugin2.so"
    L=$TMP/two.jsonl
    out=$(FABGUARD_LOG=$L with_shim "$PROGS/noucx_dlopen" "$PROGS/libfi_plugin.so" "$TMP/fiplugin2.so" 2>&1)
    expect_contains "two libfabric copies: first plugin works" "$out" "plugin 1 status 0"
    expect_contains "two libfabric copies: renamed-copy plugin works" "$out" "plugin 2 status 0"
    expect_eq "two libfabric copies: both endpoints recorded" \
        "$(grep -c '"lib":"libfabric","event":"endpoint"' "$L")" 2
else
    skip "two libfabric copies" "patchelf missing"
fi

# --- explain on libfabric's own text ---------------------------------------
FXL=$FIX/libfabric
out=$(FABGUARD_MANAGEMENT_IFACES=eth0 "$CLI" explain "$FXL/fi_info_tcp_host.txt" 2>&1)
expect_eq "explain fi_info (tcp first): exit 1" "$?" 1
expect_contains "explain fi_info: first candidate named" "$out" \
    "first (what fi_getinfo's first answer opens): tcp;ofi_rxm fabric 192.0.2.0/24 domain eth0 rdm"
expect_contains "explain fi_info: management NIC" "$out" \
    "VIOLATION provider tcp;ofi_rxm uses domain eth0 (management NIC) (fabguard.management_ifaces)"
expect_contains "explain fi_info: allowed alternatives" "$out" "allowed by the policy: 2 (first: shm domain shm)"
out=$(FABGUARD_MANAGEMENT_IFACES=eth0 "$CLI" explain "$FXL/fi_info_efa_double.txt" 2>&1)
expect_eq "explain fi_info (efa first): exit 0" "$?" 0
expect_contains "explain fi_info (efa first): ok" "$out" "verdict: ok"
json=$(FABGUARD_MANAGEMENT_IFACES=eth0 "$CLI" explain --json "$FXL/fi_log_info_tcp.txt" 2>&1)
expect_eq "explain --json FI_LOG_LEVEL=info output: valid, 25 candidates, verbs had no device" \
    "$(printf '%s' "$json" | python3 -c 'import json,sys; d=json.load(sys.stdin)["libfabric"]; print(len(d["candidates"]), [q["why"] for q in d["no_answer"] if q["provider"]=="verbs"])')" \
    "25 ['no RDMA devices found']"
out=$(fi_info -p shm | "$CLI" explain - 2>&1)
expect_eq "explain live fi_info -p shm from stdin: clean" "$?/$(printf '%s' "$out" | grep -c 'verdict: ok')" "0/1"

# --- libfabric inside NCCL's init (aws-ofi-nccl) -----------------------------
# The NCCL double loads NCCL_NET_PLUGIN during init as NCCL does; the plugin
# opens tcp;ofi_rxm. The NCCL wrapper guards its init, and the libfabric
# calls made inside it are still judged.
if [ -x "$PROGS/nccl_init" ] && [ -e "$DOUBLES/libnccl.so.2" ]; then
    L=$TMP/nccl_plugin.jsonl
    out=$(FG_NCCL_DOUBLE_SCENARIO=plugin NCCL_NET_PLUGIN=$PROGS/libfi_plugin.so NCCL_DEBUG=INFO \
          LD_LIBRARY_PATH=$DOUBLES FABGUARD_LOG=$L with_shim "$PROGS/nccl_init" 1 2>&1)
    expect_contains "NCCL + libfabric plugin: the plugin ran inside init" "$out" "plugin init returned 0"
    expect_contains "NCCL + libfabric plugin: libfabric judged inside the guarded NCCL init" "$(cat "$L")" \
        '"lib":"libfabric","event":"fabric","verdict":"violation","rule":"libfabric.forbid_providers","provider":"tcp;ofi_rxm"'
    expect_contains "NCCL + libfabric plugin: the NCCL comm judged too" "$(cat "$L")" '"lib":"nccl"'
else
    skip "NCCL + libfabric plugin" "nccl_init or the libnccl double not built"
fi

# --- threads, fail-closed ---------------------------------------------------
L=$TMP/threads.jsonl
out=$(FABGUARD_LOG=$L with_shim "$PROGS/fi_threads" shm 32 2>&1)
expect_contains "32 threads opening shm at once: all open" "$out" "opened 32 of 32"
expect_contains "32 threads: every endpoint counted (identical events rate-limited)" \
    "$(grep '"event":"summary"' "$L")" '"endpoints":32,'
L=$TMP/threads_tcp.jsonl
out=$(FABGUARD_LOG=$L with_shim "$PROGS/fi_threads" "tcp;ofi_rxm" 16 2>&1)
expect_contains "16 threads on tcp;ofi_rxm: all open in warn mode" "$out" "opened 16 of 16"
expect_contains "16 threads on tcp;ofi_rxm: violations counted" "$(grep '"event":"summary"' "$L")" '"endpoints":16,'
printf '[libfabric]\nhmem = sometimes\n' > "$TMP/bad.ini"
out=$(FABGUARD_POLICY=$TMP/bad.ini FABGUARD_MODE=enforce FABGUARD_ON_VIOLATION=fail \
      with_shim "$FI_OPEN" --prov shm 2>&1)
expect_contains "broken policy, enforce+fail: fi_getinfo refused (fails closed)" "$out" "getinfo=-61"
expect_contains "broken policy: the reason names file and line" "$out" "bad.ini:2"
out=$(FABGUARD_POLICY=$TMP/bad.ini FABGUARD_MODE=warn with_shim "$FI_OPEN" --prov shm 2>&1)
expect_contains "broken policy, warn: pass-through" "$out" "getinfo=0 fabric=0 domain=0 endpoint=0 provider=shm"
