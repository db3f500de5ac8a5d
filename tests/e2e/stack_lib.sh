# Sourced after lib.sh by tests that run inside the real stack built by
# `make stack` (tests/stack/build.sh): UCX 1.22.0 (public and NIXL-private
# flavours) and NIXL 1.4.0 with its UCX plugin and examples.
#
#   stack_dir            the complete stack (current key), empty when none
#   have_stack           true when `make stack` finished (READY exists)
#   need_stack NAME      have_stack, or print "skip - NAME: ..." and exit 0
#   ucx_version_of_lib L the version a libucp reports, e.g. 1.22.0
#   ucx_select           reads FG_UCX=1.13|1.22 (default 1.13): points the
#                        dynamic loader at that UCX, sets FG_UCX_VERSION;
#                        skips the whole script when 1.22 is not built
#   with_ucx122 CMD…     runs CMD against UCX 1.22 (the test programs link
#                        libucp.so.0 by soname; UCX keeps that ABI forward)
#   nixl_run_example A…  NIXL's nixl_example under the environment the caller
#                        set (LD_PRELOAD, UCX_TLS, NIXL_UCX_DEEPBIND, …);
#                        FG_NIXL=public (default: NIXL on <key>/ucx) or
#                        private (NIXL on libucp-nixl.so.0, <key>/ucx-nixl)
FG_STACK_CACHE=${FG_STACK_CACHE:-/var/cache/fabguard/stack}

stack_dir() {
    local d
    d=$(readlink -f "$FG_STACK_CACHE/current" 2>/dev/null) || return 1
    [ -f "$d/READY" ] && echo "$d"
}
have_stack() { [ -n "$(stack_dir)" ]; }
need_stack() {
    have_stack && return 0
    skip "$1" "real stack not built (make stack)"
    exit 0
}

# The version the library itself reports (ucp_get_version), not its file name:
# a renamed or relinked copy still answers truthfully.
ucx_version_of_lib() {
    python3 - "$1" <<'PY'
import ctypes, sys
lib = ctypes.CDLL(sys.argv[1])
v = [ctypes.c_uint() for _ in range(3)]
lib.ucp_get_version(*[ctypes.byref(x) for x in v])
print("%d.%d.%d" % tuple(x.value for x in v))
PY
}

# The env(1) arguments that make a program run on UCX 1.22. UCX finds its
# transport modules beside its own libucs (lib/ucx), so the library path is
# enough; UCX_MODULE_DIR is set anyway so a developer's own setting cannot
# mix 1.13 modules into 1.22.
ucx122_env() {
    local d; d=$(stack_dir) || return 1
    echo "LD_LIBRARY_PATH=$d/ucx/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} UCX_MODULE_DIR=$d/ucx/lib/ucx"
}
with_ucx122() {
    local e; e=$(ucx122_env) || return 127
    # shellcheck disable=SC2086  # paths under the cache hold no spaces
    env $e "$@"
}

ucx_select() {
    FG_UCX=${FG_UCX:-1.13}
    case $FG_UCX in
        1.13) FG_UCX_VERSION=$(ucx_version_of_lib libucp.so.0) ;;
        1.22)
            need_stack "UCX 1.22 matrix ($(basename "$0"))"
            local d; d=$(stack_dir)
            export LD_LIBRARY_PATH=$d/ucx/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
            export UCX_MODULE_DIR=$d/ucx/lib/ucx
            FG_UCX_VERSION=$(ucx_version_of_lib "$d/ucx/lib/libucp.so.0") ;;
        *) echo "FG_UCX must be 1.13 or 1.22, not '$FG_UCX'" >&2; exit 2 ;;
    esac
    case $FG_UCX_VERSION in
        "$FG_UCX".*) ;;
        *) fail "UCX selection" "FG_UCX=$FG_UCX but libucp reports $FG_UCX_VERSION"; exit 1 ;;
    esac
}
# ucx_is VERSION: the selected UCX is that minor release (1.13 / 1.22)
ucx_is() { [ "${FG_UCX:-1.13}" = "$1" ]; }

# The NIXL build to use: FG_NIXL=public|private.
nixl_prefix() {
    local d; d=$(stack_dir) || return 1
    case ${FG_NIXL:-public} in
        public) echo "$d/nixl" ;;
        private) echo "$d/nixl-priv" ;;
        *) return 1 ;;
    esac
}
nixl_ucx_prefix() {
    local d; d=$(stack_dir) || return 1
    case ${FG_NIXL:-public} in public) echo "$d/ucx" ;; private) echo "$d/ucx-nixl" ;; esac
}
# nixl_run_example ARGS…: runs NIXL's nixl_example (two agents in one
# process, loopback) with its UCX backend plugin from the plugin folder.
# The caller's environment (LD_PRELOAD via with_shim, UCX_TLS, FABGUARD_*,
# NIXL_UCX_DEEPBIND) passes through. FG_NIXL_PROG picks another installed
# NIXL program.
nixl_run_example() {
    local n u d
    n=$(nixl_prefix) && u=$(nixl_ucx_prefix) && d=$(stack_dir) || return 127
    # UCX finds its modules beside its own libucs; a UCX_MODULE_DIR left by
    # ucx_select would hand the private flavour the public one's modules.
    env -u UCX_MODULE_DIR \
        LD_LIBRARY_PATH="$n/lib:$u/lib:$d/absl/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
        NIXL_PLUGIN_DIR="$n/lib/plugins" \
        "$n/bin/${FG_NIXL_PROG:-nixl_example}" "$@"
}
