# fabguard — see README.md. Sources are found by directory, so adding a
# module, a subcommand or a test never needs an edit here:
#   shim/core/*.c     pure modules  -> $(BUILD)/libfgcore.a (shim + CLI)
#   shim/probe/*.c    every read of /proc and /sys -> libfgcore.a too
#   shim/preload/*.c  interposition -> $(BUILD)/libfabguard.so
#   tools/*.c         CLI           -> $(BUILD)/fabguard
#   tests/unit/test_*.c   Check suites (one binary each)
#   tests/progs/*.c       programs used by end-to-end tests; lib*.c -> .so
#   tests/doubles/*.c     test doubles of libraries no machine here can run
#   tests/fuzz/fuzz_*.c   libFuzzer targets (clang)
#   tests/e2e/*.sh        end-to-end scripts

CC        ?= cc
PREFIX    ?= /usr/local
CUDA_HOME ?= /usr/local/cuda
SANITIZE  ?= 0
BUILD     ?= build

WARN      := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-format-nonliteral
CFLAGS    ?= -O2 -g
ALL_CFLAGS = -std=gnu11 $(WARN) $(CFLAGS) -fPIC -fvisibility=hidden \
             -D_GNU_SOURCE -Iinclude $(NCCL_INC) $(SAN) $(GLIBC_COMPAT)
# Oldest glibc symbol versions everywhere (the shim must load on glibc 2.17).
GLIBC_COMPAT = -include include/fabguard/glibc_compat.h
LDLIBS_SYS = -ldl -lpthread
# The shared objects themselves (libdl.a/libpthread.a are empty on glibc >= 2.34).
LDLIBS_FLOOR = -Wl,--no-as-needed -l:libdl.so.2 -l:libpthread.so.0 -Wl,--as-needed

ifeq ($(SANITIZE),1)
  BUILD := build/san
  SAN   := -fsanitize=address,undefined -fno-omit-frame-pointer \
           -fno-sanitize-recover=all
endif
ifeq ($(SANITIZE),thread)
  BUILD := build/tsan
  SAN   := -fsanitize=thread -fno-omit-frame-pointer
endif

# nccl.h from CUDA when present; otherwise include/fabguard/nccl_abi.h.
ifneq ($(wildcard $(CUDA_HOME)/include/nccl.h),)
  NCCL_INC := -DFG_HAVE_NCCL_H -isystem $(CUDA_HOME)/include
endif

CORE_SRCS    := $(wildcard shim/core/*.c shim/probe/*.c)
PRELOAD_SRCS := $(wildcard shim/preload/*.c)
TOOL_SRCS    := $(wildcard tools/*.c)
UNIT_SRCS    := $(wildcard tests/unit/test_*.c)
PROG_SRCS    := $(filter-out tests/progs/lib%,$(wildcard tests/progs/*.c))
PLIB_SRCS    := $(wildcard tests/progs/lib*.c)
DOUBLE_SRCS  := $(filter-out tests/doubles/libnccl.c,$(wildcard tests/doubles/*.c))
BENCH_SRCS   := $(wildcard tests/bench/*.c)

CORE_OBJS    := $(CORE_SRCS:%.c=$(BUILD)/obj/%.o)
PRELOAD_OBJS := $(PRELOAD_SRCS:%.c=$(BUILD)/obj/%.o)
TOOL_OBJS    := $(TOOL_SRCS:%.c=$(BUILD)/obj/%.o)
UNIT_BINS    := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/unit/%)
PROG_BINS    := $(PROG_SRCS:tests/progs/%.c=$(BUILD)/tests/progs/%)
PLIB_BINS    := $(PLIB_SRCS:tests/progs/%.c=$(BUILD)/tests/progs/%.so)
DOUBLE_BINS  := $(DOUBLE_SRCS:tests/doubles/%.c=$(BUILD)/tests/doubles/%.so)
BENCH_BINS   := $(BENCH_SRCS:tests/bench/%.c=$(BUILD)/tests/bench/%)
NCCL_DOUBLE  := $(if $(wildcard tests/doubles/libnccl.c),$(BUILD)/tests/doubles/libnccl.so.2)

SHIM  := $(BUILD)/libfabguard.so
CLI   := $(BUILD)/fabguard
CORE  := $(BUILD)/libfgcore.a
EMPTY := $(BUILD)/tests/empty.so

CHECK_LIBS = $(shell pkg-config --libs check 2>/dev/null || echo -lcheck -lsubunit -lm -lrt -pthread)
UCX_LIBS   = -lucp -lucs

.PHONY: all check demo bench install clean deps tests sanitize tsan fuzz fuzz-build
.DEFAULT_GOAL := all

all: $(SHIM) $(CLI)

$(BUILD)/obj/%.o: %.c $(wildcard include/fabguard/*.h shim/preload/*.h shim/*.h tools/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(CORE): $(CORE_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

# Only libc/libdl/libpthread: UCX, NCCL and libunwind are found at run time.
# libdl/libpthread stay needed (--no-as-needed): on glibc < 2.34 the old
# versions of dlopen/pthread_create live there. The build fails when the
# shim needs a glibc newer than 2.17 (shim/glibc_floor.sh).
$(SHIM): $(PRELOAD_OBJS) $(CORE) shim/libfabguard.map shim/glibc_floor.sh
	$(CC) $(ALL_CFLAGS) -shared -Wl,--version-script=shim/libfabguard.map \
	  -Wl,-z,defs -Wl,-z,now -o $@.tmp $(PRELOAD_OBJS) $(CORE) \
	  $(LDLIBS_FLOOR)
	sh shim/glibc_floor.sh $@.tmp 2.17
	mv -f $@.tmp $@

$(CLI): $(TOOL_OBJS) $(CORE)
	$(CC) $(ALL_CFLAGS) -o $@ $(TOOL_OBJS) $(CORE) $(UCX_LIBS) $(LDLIBS_SYS) -lm

$(BUILD)/tests/unit/%: tests/unit/%.c tests/unit/main.c tests/unit/unit.h $(CORE)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/unit -DFG_SRCDIR='"$(CURDIR)"' -o $@ $< tests/unit/main.c $(CORE) $(CHECK_LIBS) $(LDLIBS_SYS)

$(BUILD)/tests/progs/lib%.so: tests/progs/lib%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -fvisibility=default -shared -o $@ $< $(UCX_LIBS) $(LDLIBS_SYS)

# Test programs link UCX directly; NCCL programs link "libnccl.so.2" by
# soname so LD_LIBRARY_PATH picks the real one or the double at run time.
$(BUILD)/tests/progs/nccl_%: tests/progs/nccl_%.c $(NCCL_DOUBLE)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< -L$(BUILD)/tests/doubles -l:libnccl.so.2 $(LDLIBS_SYS)

# linked_<name>.c links lib<name>.so; noucx_*.c never links UCX itself
# (it reaches UCX only through a plugin it dlopens).
$(BUILD)/tests/progs/linked_%: tests/progs/linked_%.c $(BUILD)/tests/progs/lib%.so
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Wl,-rpath,'$$ORIGIN' -Wl,--no-as-needed -o $@ $< -L$(BUILD)/tests/progs -l$* $(LDLIBS_SYS)

# fi_*.c are libfabric applications: they link libfabric (its versioned
# fi_getinfo@@FABRIC_1.3, fi_fabric@@FABRIC_1.1) and never UCX.
$(BUILD)/tests/progs/fi_%: tests/progs/fi_%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< -lfabric $(LDLIBS_SYS) -lpthread

$(BUILD)/tests/progs/libfi_%.so: tests/progs/libfi_%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -fvisibility=default -shared -o $@ $< -lfabric $(LDLIBS_SYS)

$(BUILD)/tests/progs/noucx_%: tests/progs/noucx_%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LDLIBS_SYS)

# mpi_*.c: MPI programs, built with mpicc (openmpi) when it is installed;
# without it the MPI tests skip. Not sanitized: mpirun runs them.
MPICC ?= mpicc
$(BUILD)/tests/progs/mpi_%: tests/progs/mpi_%.c
	@mkdir -p $(dir $@)
	@if command -v $(MPICC) >/dev/null; then \
	  echo "$(MPICC) -o $@ $<"; $(MPICC) -std=gnu11 $(WARN) $(CFLAGS) -o $@ $<; \
	else echo "no $(MPICC): $@ not built (MPI tests skip)"; fi

$(BUILD)/tests/progs/%: tests/progs/%.c $(PLIB_BINS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Wl,-rpath,'$$ORIGIN' -o $@ $< -L$(BUILD)/tests/progs $(UCX_LIBS) $(LDLIBS_SYS)

$(BUILD)/tests/doubles/libnccl.so.2: tests/doubles/libnccl.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -fvisibility=default -shared -Wl,-soname,libnccl.so.2 -o $@ $< $(LDLIBS_SYS)
	ln -sf libnccl.so.2 $(BUILD)/tests/doubles/libnccl.so

$(BUILD)/tests/doubles/%.so: tests/doubles/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -fvisibility=default -shared -o $@ $< $(LDLIBS_SYS)

$(BUILD)/tests/bench/%: tests/bench/%.c $(CORE)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(CORE) $(UCX_LIBS) $(LDLIBS_SYS) -lm

# The baseline for "costs no more than an empty shared object"; it needs the
# same system libraries as the shim (kept for the glibc 2.17 floor).
$(EMPTY): tests/progs/empty.c.in
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -x c -shared -o $@ $< $(LDLIBS_FLOOR)

tests: all $(UNIT_BINS) $(PROG_BINS) $(PLIB_BINS) $(DOUBLE_BINS) $(NCCL_DOUBLE) $(EMPTY) $(BENCH_BINS)

deps:
	@sh tests/deps.sh

check: deps
	@$(MAKE) --no-print-directory tests
	@FG_BUILD=$(BUILD) FG_SANITIZE=$(SANITIZE) sh tests/run.sh

sanitize:
	@$(MAKE) --no-print-directory check SANITIZE=1

# The threaded parts under ThreadSanitizer (tests/tsan/run.sh).
tsan: deps
	@$(MAKE) --no-print-directory SANITIZE=thread all
	@$(MAKE) --no-print-directory tests
	@FG_BUILD=build/tsan bash tests/tsan/run.sh

demo: deps
	@$(MAKE) --no-print-directory tests
	@FG_BUILD=$(BUILD) bash tools/demo.sh

bench: deps
	@$(MAKE) --no-print-directory tests
	@FG_BUILD=$(BUILD) sh tests/bench/run.sh

FUZZ_TIME ?= 30
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=build/fuzz/%)
build/fuzz/%: tests/fuzz/%.c $(CORE_SRCS)
	@mkdir -p $(dir $@)
	clang -std=gnu11 -g -O1 -D_GNU_SOURCE -Iinclude $(NCCL_INC) \
	  -fsanitize=fuzzer,address,undefined -o $@ $< $(CORE_SRCS)
fuzz-build: $(FUZZ_BINS)
fuzz: deps fuzz-build
	@FUZZ_TIME=$(FUZZ_TIME) sh tests/fuzz/run.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(SHIM) $(DESTDIR)$(PREFIX)/lib/libfabguard.so
	install -m 0755 $(CLI) $(DESTDIR)$(PREFIX)/bin/fabguard

clean:
	rm -rf build

# LD_AUDIT companion (shim/audit): sees RTLD_DEEPBIND and dlsym(handle)
# bindings of UCX. It runs in its own link namespace before TLS exists, so
# no sanitizer and no stack protector (both need TLS); it calls no libc at
# all and exports only la_* (shim/audit/audit.map).
AUDIT        := $(BUILD)/libfabguard-audit.so
AUDIT_CFLAGS  = -std=gnu11 $(WARN) $(CFLAGS) -fPIC -fvisibility=hidden \
                -fno-stack-protector -D_GNU_SOURCE -Iinclude
all: $(AUDIT)
tests: $(AUDIT)
$(AUDIT): shim/audit/audit.c shim/audit/audit.map include/fabguard/audit_gate.h
	@mkdir -p $(dir $@)
	$(CC) $(AUDIT_CFLAGS) -shared -nostartfiles -Wl,--version-script=shim/audit/audit.map \
	  -Wl,-z,defs -Wl,-z,now -o $@ shim/audit/audit.c
	@if nm -D --undefined-only $@ | grep -q .; then \
	  echo "$@ must not import anything:"; nm -D --undefined-only $@; rm -f $@; exit 1; fi
.PHONY: install-audit
install: install-audit
install-audit: $(AUDIT)
	install -d $(DESTDIR)$(PREFIX)/lib
	install -m 0755 $(AUDIT) $(DESTDIR)$(PREFIX)/lib/libfabguard-audit.so

# The real stack (UCX 1.22 x2, NIXL 1.4) for the end-to-end tests, built once
# into a cache outside the tree: see tests/stack/build.sh.
FG_THIRD_PARTY ?= $(CURDIR)/../shared/third_party
.PHONY: stack
stack:
	FG_THIRD_PARTY="$(FG_THIRD_PARTY)" bash tests/stack/build.sh
