#!/bin/bash
# Builds the real stack the end-to-end tests run fabguard inside:
#   <key>/ucx/        UCX 1.22.0, as a user would build it (no CUDA here)
#   <key>/ucx-nixl/   the same tree as NIXL's "private" flavour
#                     (--with-soname-suffix=nixl --enable-module-deepbind)
#   <key>/absl/       abseil (NIXL needs >= 20230125; Debian 12 has 20220623)
#   <key>/nixl/       NIXL 1.4.0 + UCX plugin + examples, on <key>/ucx
#   <key>/nixl-priv/  the same NIXL linked to <key>/ucx-nixl (libucp-nixl.so.0)
#   <key>/READY       written last: the stack is complete
# into ${FG_STACK_CACHE:-/var/cache/fabguard/stack}; <key> hashes the
# archives and this script's version, so a second run costs nothing and a new
# archive or recipe gets a new directory. `current` points at the last
# complete key. Sources absent -> a message and exit 0 (tests then skip).
set -euo pipefail

FG_STACK_VERSION=1   # bump when the recipe below changes
SRC=${FG_THIRD_PARTY:-$(cd "$(dirname "$0")/../.." && pwd)/../shared/third_party}
CACHE=${FG_STACK_CACHE:-/var/cache/fabguard/stack}
JOBS=${FG_STACK_JOBS:-2}

ARCHIVES="ucx-v1.22.0.tar.gz abseil-cpp-20250814.1.tar.gz nixl-v1.4.0.tar.gz
tomlplusplus-3.4.0-full.tar.gz taskflow-3.10.0-headers.tar.gz"

say() { echo "fabguard stack: $*"; }

for a in $ARCHIVES; do
    if [ ! -r "$SRC/$a" ]; then
        say "sources not found ($SRC/$a); real-stack tests will skip." \
            "Set FG_THIRD_PARTY=DIR to the folder holding the pinned archives."
        exit 0
    fi
done

key=$( { for a in $ARCHIVES; do sha256sum "$SRC/$a" | cut -d' ' -f1; done
         echo "recipe=$FG_STACK_VERSION"; } | sha256sum | cut -c1-16)
DEST=$CACHE/$key

mkdir -p "$CACHE" 2>/dev/null && [ -w "$CACHE" ] || {
    say "cannot write the cache $CACHE; set FG_STACK_CACHE=DIR" >&2; exit 1; }
exec 9>"$CACHE/.lock"
if ! flock -n 9; then
    say "another build holds $CACHE/.lock; waiting for it"
    flock 9
fi

if [ -f "$DEST/READY" ]; then
    ln -sfn "$key" "$CACHE/current"
    say "up to date: $DEST"
    exit 0
fi

mkdir -p "$DEST"
LOG=$DEST/build.log
WORK=$DEST/.work
echo "=== build.sh v$FG_STACK_VERSION started $(date -u +%FT%TZ)" >>"$LOG"
say "building UCX 1.22.0 (x2), abseil, NIXL 1.4.0 (x2) into $DEST (log: $LOG)"
start=$(date +%s)

fail() {
    say "FAILED at step: $1 (log: $LOG); its last lines:" >&2
    tail -n 40 "$LOG" >&2
    exit 1
}

# step NAME CMD...: runs CMD once; a stamp makes an interrupted build resume.
step() {
    local name=$1; shift
    [ -f "$DEST/.done-$name" ] && return 0
    say "  $name ... ($(( $(date +%s) - start ))s)"
    echo "=== $name: $*" >>"$LOG"
    "$@" >>"$LOG" 2>&1 || fail "$name"
    touch "$DEST/.done-$name"
}

unpack() {
    rm -rf "$WORK" && mkdir -p "$WORK"
    for a in $ARCHIVES; do tar -xzf "$SRC/$a" -C "$WORK"; done
}

ucx_build() (   # ucx_build PREFIX BUILDDIR EXTRA_CONFIGURE_ARGS...
    prefix=$1 bdir=$2; shift 2
    (cd "$WORK/ucx-1.22.0" && [ -x configure ] || ./autogen.sh) &&
    rm -rf "$bdir" && mkdir -p "$bdir" && cd "$bdir" &&
    "$WORK/ucx-1.22.0/configure" --prefix="$prefix" --disable-doxygen-doc \
        --without-java --without-go --enable-mt --without-cuda \
        --disable-debug --disable-assertions --disable-params-check "$@" &&
    make -j"$JOBS" && make install
)

absl_build() {
    cmake -S "$WORK/abseil-cpp-20250814.1" -B "$WORK/absl-build" -G Ninja \
        -DCMAKE_INSTALL_PREFIX="$DEST/absl" -DCMAKE_BUILD_TYPE=Release \
        -DBUILD_SHARED_LIBS=ON -DCMAKE_CXX_STANDARD=20 \
        -DABSL_PROPAGATE_CXX_STD=ON -DABSL_BUILD_TESTING=OFF \
        -DCMAKE_INSTALL_LIBDIR=lib &&
    ninja -C "$WORK/absl-build" -j"$JOBS" install
}

# NIXL links -lucp -lucs -luct from ucx_path/lib. For the private flavour a
# link farm names libucp-nixl.so as libucp.so: the linker records the real
# soname (libucp-nixl.so.0), which is what NIXL's own packages ship.
ucx_link_farm() {   # ucx_link_farm UCXPREFIX FARM
    rm -rf "$2" && mkdir -p "$2/lib" &&
    ln -s "$1/include" "$2/include" &&
    for l in ucp ucs uct ucm; do ln -s "$1/lib/lib$l-nixl.so" "$2/lib/lib$l.so"; done
}

nixl_setup() {   # nixl_setup UCXPATH PREFIX BUILDDIR MESON_ARGS...
    local ucx=$1 prefix=$2 bdir=$3 n=$WORK/nixl-1.4.0; shift 3
    # Offline: tomlplusplus >= 3.4 and taskflow from the pinned archives.
    rm -rf "$n/subprojects/tomlplusplus-3.4.0" "$n/subprojects/taskflow-3.10.0"
    cp -a "$WORK/tomlplusplus-3.4.0" "$n/subprojects/" &&
    cp -a "$WORK/taskflow-3.10.0" "$n/subprojects/" &&
    cp "$n/subprojects/packagefiles/taskflow/meson.build" "$n/subprojects/taskflow-3.10.0/" &&
    # libasio-dev ships no asio.pc.
    mkdir -p "$WORK/pc" &&
    printf 'Name: asio\nDescription: asio (Debian libasio-dev)\nVersion: 1.28.0\nCflags:\n' >"$WORK/pc/asio.pc" &&
    rm -rf "$bdir" &&
    CUDA_HOME=/nonexistent CUDA_PATH=/nonexistent \
    PKG_CONFIG_PATH="$WORK/pc:$DEST/absl/lib/pkgconfig" \
    CMAKE_PREFIX_PATH="$DEST/absl" \
    meson setup "$bdir" "$n" --prefix="$prefix" --libdir=lib \
        --buildtype=release --wrap-mode=nodownload \
        --force-fallback-for=tomlplusplus \
        -Denable_plugins=UCX -Ducx_path="$ucx" \
        -Dcpp_link_args="-Wl,-rpath,$DEST/absl/lib" "$@"
}
nixl_build() {   # nixl_build UCXPATH PREFIX BUILDDIR
    nixl_setup "$1" "$2" "$3" --buildtype=release -Dbuild_tests=false -Dbuild_examples=true &&
    CUDA_HOME=/nonexistent CUDA_PATH=/nonexistent ninja -C "$3" -j"$JOBS" install
}

# NIXL's two-process program (test/nixl/nixl_test: "target" and "initiator"
# exchanging metadata over a socket) is built only with build_tests and a
# non-release build type, which would also build NIXL's whole gtest suite:
# build that one target and install it (and the build-tree libraries it
# needs) beside the examples of both NIXL builds.
nixl_test_build() {
    local b=$WORK/nixl-test-build t
    nixl_setup "$DEST/ucx" "$WORK/nixl-test-prefix" "$b" \
        --buildtype=debugoptimized -Db_ndebug=true -Dbuild_tests=true -Dbuild_examples=false &&
    CUDA_HOME=/nonexistent CUDA_PATH=/nonexistent ninja -C "$b" -j"$JOBS" test/nixl/nixl_test || return 1
    for p in "$DEST/nixl" "$DEST/nixl-priv"; do
        [ -d "$p" ] || continue
        mkdir -p "$p/libexec/nixl-test" &&
        # the build tree's own helper libraries (not NIXL's installed ones)
        for l in $(ldd "$b/test/nixl/nixl_test" | awk -v b="$b" 'index($3, b) == 1 && $3 !~ /libnixl\.so|plugins/ {print $3}'); do
            cp "$l" "$p/libexec/nixl-test/"
        done &&
        cp "$b/test/nixl/nixl_test" "$p/bin/nixl_test" &&
        patchelf --set-rpath "$p/lib:$p/libexec/nixl-test:$DEST/absl/lib" "$p/bin/nixl_test" || return 1
    done
    test -x "$DEST/nixl/bin/nixl_test"
}

check_nixl() {   # the examples and the plugin are where the tests look
    test -x "$1/bin/nixl_example" && ls "$1"/lib/plugins/libplugin_UCX*.so
}

step unpack unpack
step ucx ucx_build "$DEST/ucx" "$WORK/ucx-build"
step absl absl_build
step nixl nixl_build "$DEST/ucx" "$DEST/nixl" "$WORK/nixl-build"
step nixl-check check_nixl "$DEST/nixl"
step ucx-nixl ucx_build "$DEST/ucx-nixl" "$WORK/ucx-nixl-build" \
    --with-soname-suffix=nixl --enable-module-deepbind
step ucx-nixl-farm ucx_link_farm "$DEST/ucx-nixl" "$WORK/ucx-nixl-farm"
step nixl-priv nixl_build "$WORK/ucx-nixl-farm" "$DEST/nixl-priv" "$WORK/nixl-priv-build"
step nixl-priv-check check_nixl "$DEST/nixl-priv"
step nixl-test nixl_test_build

# The private NIXL's rpath named the link farm; point it at the real prefix.
for f in "$DEST"/nixl-priv/lib/plugins/*.so "$DEST"/nixl-priv/lib/*.so* "$DEST"/nixl-priv/bin/*; do
    [ -f "$f" ] && [ ! -L "$f" ] || continue
    rp=$(patchelf --print-rpath "$f" 2>/dev/null) || continue
    case $rp in *ucx-nixl-farm*) patchelf --set-rpath "${rp//$WORK\/ucx-nixl-farm/$DEST\/ucx-nixl}" "$f" ;; esac
done

secs=$(( $(date +%s) - start ))
rm -rf "$WORK"
{ echo "built $(date -u +%FT%TZ) in ${secs}s by tests/stack/build.sh v$FG_STACK_VERSION"
  for a in $ARCHIVES; do sha256sum "$SRC/$a"; done; } >"$DEST/READY"
ln -sfn "$key" "$CACHE/current"
say "done in ${secs}s: $DEST"
