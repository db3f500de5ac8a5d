#!/bin/sh
# Installs the Debian packages fabguard's build, tests and demo need:
# apt-get when root, otherwise print the exact command and stop.
PKGS="gcc make pkg-config libucx-dev ucx-utils libfabric-dev libfabric-bin check libunwind-dev iproute2 python3 python3-yaml procps strace patchelf"
[ -n "${FG_FUZZ:-}" ] && PKGS="$PKGS clang libclang-rt-14-dev"
# report --prometheus is checked with promtool and served by node_exporter (tests/e2e/prometheus.sh)
PKGS="$PKGS prometheus prometheus-node-exporter"
# OpenMPI for tests/e2e/mpi*.sh; what `make stack` needs to build UCX 1.22
# and NIXL 1.4 (tests/stack/build.sh).
PKGS="$PKGS openmpi-bin libopenmpi-dev util-linux"
PKGS="$PKGS g++ autoconf automake libtool cmake meson ninja-build libasio-dev pybind11-dev liburing-dev"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
    echo "fabguard: installing$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing >/dev/null || {
        echo "fabguard: apt-get install$missing failed" >&2; exit 1; }
else
    echo "fabguard: missing Debian packages. Run as root:" >&2
    echo "  apt-get install -y$missing" >&2
    exit 1
fi
