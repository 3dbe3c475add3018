# wasmbox - top-level build.  `make` builds everything into build/,
# `make check` runs every test, `make bench` the benchmarks, `make demo` the
# showcase.  `make check SANITIZE=1` builds into build-san/ with ASan+UBSan.

CC      ?= cc
CFLAGS  ?= -O2 -g
WFLAGS  := -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-unused-parameter
CPPFLAGS += -Iinclude -Isrc -D_DEFAULT_SOURCE
LDLIBS  := -lm -lpthread

ifeq ($(SANITIZE),1)
B       := build-san
CFLAGS  := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
else
B       := build
endif

# The engine: src/, and the compiler in src/compile/ (frontend and emitters).
LIB_SRC := $(wildcard src/*.c src/compile/*.c)
LIB_OBJ := $(LIB_SRC:src/%.c=$(B)/obj/%.o)
CLI_SRC := $(wildcard cli/*.c)
CLI_OBJ := $(CLI_SRC:cli/%.c=$(B)/obj/cli/%.o)
UNIT_SRC := $(wildcard tests/unit/*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
WAT     := $(wildcard tests/modules/*.wat)
WASM    := $(WAT:tests/modules/%.wat=build/modules/%.wasm)

DEPS_STAMP := build/.deps-ok
SUITE   ?= ../shared/wasm-testsuite

.PHONY: all check unit spec sqlite bench bench-density bench-containerd fuzz fuzz-wat demo deps clean format
all: $(B)/libwasmbox.a $(B)/wasmbox $(B)/wasmboxd $(UNIT_BIN) $(WASM)

# Missing Debian packages are installed once (idempotent script).
deps $(DEPS_STAMP): scripts/install-deps.sh
	@scripts/install-deps.sh
	@mkdir -p build && touch $(DEPS_STAMP)

$(B)/obj/%.o: src/%.c $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(WFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

# The interpreter's dispatch loop (gcc only): GCSE merges the computed gotos
# into one shared indirect jump, which defeats branch prediction per handler,
# and loop distribution would turn the frame set-up loops of a call into
# memset/memcpy calls.
IS_GCC := $(shell $(CC) --version 2>/dev/null | grep -qi 'free software foundation' && echo 1)
ifeq ($(IS_GCC),1)
$(B)/obj/interp.o: CFLAGS += -fno-gcse -fno-tree-loop-distribute-patterns
endif

$(B)/obj/cli/%.o: cli/%.c $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(WFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(B)/libwasmbox.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(B)/wasmbox: $(CLI_OBJ) $(B)/libwasmbox.a
	$(CC) $(LDFLAGS) $^ -ljansson -lcurl -lcrypto $(LDLIBS) -o $@

# The sandbox core (sandboxd/core/: scheduler, module cache, output, limits),
# a library both front ends link: wasmboxd and the containerd shim.
SBD_CORE_SRC := $(wildcard sandboxd/core/*.c)
SBD_CORE_OBJ := $(SBD_CORE_SRC:sandboxd/core/%.c=$(B)/obj/sbdcore/%.o)
SBD_CORE_LIBS := -levent_pthreads -levent_core -ljansson -lcrypto
$(B)/obj/sbdcore/%.o: sandboxd/core/%.c sandboxd/core/core.h $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -D_GNU_SOURCE $(WFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@
$(B)/libsbdcore.a: $(SBD_CORE_OBJ)
	@rm -f $@
	ar rcs $@ $^

# wasmboxd: the HTTP+JSON front end (libevent's HTTP server, jansson).
SBD_SRC := $(wildcard sandboxd/*.c)
SBD_OBJ := $(SBD_SRC:sandboxd/%.c=$(B)/obj/sandboxd/%.o)
$(B)/obj/sandboxd/%.o: sandboxd/%.c sandboxd/sandboxd.h sandboxd/core/core.h $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -D_GNU_SOURCE $(WFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(B)/wasmboxd: $(SBD_OBJ) $(B)/libsbdcore.a $(B)/libwasmbox.a
	$(CC) $(LDFLAGS) $^ $(SBD_CORE_LIBS) -levent_extra $(LDLIBS) -o $@

# containerd-shim-wasmbox-v1 and wasmbox-shimd: the containerd front end of
# the same core (ttrpc with protobuf-c; the .proto files in proto/ are ours, with the
# field numbers of containerd's shim API).  Generated code is compiled
# without our warnings: it is protoc-c's.  Not with -Isrc: the engine's
# limits.h would hide the C library's, which protobuf-c.h includes.
PROTO   := $(wildcard proto/*.proto)
PROTO_C := $(PROTO:proto/%.proto=$(B)/proto/%.pb-c.c)
PROTO_O := $(PROTO_C:.c=.o)
SHIM_SRC := $(wildcard shim/*.c)
SHIM_OBJ := $(SHIM_SRC:shim/%.c=$(B)/obj/shim/%.o)
# What containerd runs once per container (start, delete): small and static.
SHIM_FRONT := main opts start bundle sha256
SHIM_FRONT_OBJ := $(SHIM_FRONT:%=$(B)/obj/shim/%.o)
# The shim itself (one per group), which start runs: the rest.
SHIMD_OBJ := $(filter-out $(B)/obj/shim/main.o,$(SHIM_OBJ))
# One protoc-c run writes every file (a stamp, so that make -j runs it once).
$(B)/proto/.stamp: $(PROTO) $(DEPS_STAMP)
	@mkdir -p $(@D)
	protoc-c --c_out=$(B)/proto -Iproto $(PROTO)
	@touch $@
$(PROTO_C): $(B)/proto/.stamp
.SECONDARY: $(PROTO_C)
$(B)/proto/%.pb-c.o: $(B)/proto/%.pb-c.c
	$(CC) -I$(B)/proto $(CFLAGS) -c $< -o $@
$(B)/obj/shim/%.o: shim/%.c shim/shim.h sandboxd/core/core.h $(PROTO_C) $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) -Iinclude -Isandboxd -I$(B)/proto -D_GNU_SOURCE $(WFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@
# ctdapi.proto is containerd's own API, for the benchmark's client only.
SHIM_PROTO_O := $(filter-out %/ctdapi.pb-c.o,$(PROTO_O))
# Static only where the C library's static archive is (it is on Debian);
# a sanitized build cannot be static.
SHIM_STATIC := $(if $(filter 1,$(SANITIZE)),,-static)
$(B)/containerd-shim-wasmbox-v1: $(SHIM_FRONT_OBJ) $(B)/proto/task.pb-c.o $(B)/proto/wellknown.pb-c.o
	$(CC) $(LDFLAGS) $(SHIM_STATIC) $^ -ljansson -lprotobuf-c -o $@
$(B)/wasmbox-shimd: $(SHIMD_OBJ) $(SHIM_PROTO_O) $(B)/libsbdcore.a $(B)/libwasmbox.a
	$(CC) $(LDFLAGS) $^ $(SBD_CORE_LIBS) -lprotobuf-c $(LDLIBS) -o $@
all: $(B)/wasmbox-shimd
all: $(B)/containerd-shim-wasmbox-v1
# Guests of the containerd tests.
CTD_GUESTS := $(patsubst tests/containerd/%.c,build/containerd/%.wasm,$(wildcard tests/containerd/*.c)) \
              $(patsubst tests/containerd/%.wat,build/containerd/%.wasm,$(wildcard tests/containerd/*.wat))
build/containerd/%.wasm: tests/containerd/%.c $(DEPS_STAMP)
	@mkdir -p $(@D)
	clang --target=wasm32-wasi -O2 $< -o $@
build/containerd/%.wasm: tests/containerd/%.wat $(DEPS_STAMP)
	@mkdir -p $(@D)
	wat2wasm $< -o $@
all: $(CTD_GUESTS)

# Guests of the daemon's tests and density benchmark.
SBD_GUESTS := build/sandboxd/ticker.wasm $(patsubst tests/sandboxd/%.wat,build/sandboxd/%.wasm,$(wildcard tests/sandboxd/*.wat))
build/sandboxd/%.wasm: tests/sandboxd/%.c $(DEPS_STAMP)
	@mkdir -p $(@D)
	clang --target=wasm32-wasi -O2 $< -o $@
build/sandboxd/%.wasm: tests/sandboxd/%.wat $(DEPS_STAMP)
	@mkdir -p $(@D)
	wat2wasm $< -o $@
all: $(SBD_GUESTS)

$(B)/tests/%: tests/unit/%.c tests/unit/test.h $(B)/libwasmbox.a
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(WFLAGS) $(CFLAGS) $(LDFLAGS) $< $(B)/libwasmbox.a $(LDLIBS) -o $@
$(B)/tests/utf8_reverse: examples/pg/utf8_reverse.h

# The numeric ops once more with the engine built by clang: the
# interpreter's results, NaNs included, must not depend on the C compiler
# (gcc and clang ordered a float min's a + b differently; make fuzz, built
# by clang, found it).
ifneq ($(SANITIZE),1)
$(B)/tests/x64_num_clang: tests/unit/x64_num.c tests/unit/test.h $(LIB_SRC) $(wildcard src/*.h src/compile/*.h) \
                          include/wasmbox.h $(DEPS_STAMP)
	@mkdir -p $(@D)
	clang $(CPPFLAGS) $(WFLAGS) -O2 -g $< $(LIB_SRC) $(LDLIBS) -o $@
all: $(B)/tests/x64_num_clang
endif

build/modules/%.wasm: tests/modules/%.wat $(DEPS_STAMP)
	@mkdir -p $(@D)
	wat2wasm --enable-all $< -o $@

check: all build/examples/udfs.wasm
	@WB_TESTSUITE=$(SUITE) tests/run.sh $(B)

unit: all
	@tests/run.sh $(B) unit

spec: all
	@WB_TESTSUITE=$(SUITE) tests/run.sh $(B) spec

pg: all
	@tests/run.sh $(B) pg

sqlite: all
	@tests/run.sh $(B) sqlite

# The PostgreSQL extension into the system server (PGXS, as pg_config says),
# and the containerd shim onto PATH (containerd finds a runtime's shim there).
PREFIX ?= /usr/local
install: $(DEPS_STAMP) $(B)/containerd-shim-wasmbox-v1 $(B)/wasmbox-shimd $(B)/wasmbox
	install -D -m 0755 $(B)/containerd-shim-wasmbox-v1 $(DESTDIR)$(PREFIX)/bin/containerd-shim-wasmbox-v1
	install -D -m 0755 $(B)/wasmbox-shimd $(DESTDIR)$(PREFIX)/bin/wasmbox-shimd
	install -D -m 0755 $(B)/wasmbox $(DESTDIR)$(PREFIX)/bin/wasmbox
	$(MAKE) -C pg install

clean:
	rm -rf build build-san
	-$(MAKE) -C pg clean >/dev/null 2>&1

format:
	clang-format -i src/*.c src/*.h src/compile/*.c src/compile/*.h include/*.h cli/*.c tests/unit/*.c tests/unit/*.h

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(SBD_OBJ:.o=.d) $(SBD_CORE_OBJ:.o=.d) $(SHIM_OBJ:.o=.d)

# ---- the SQLite extension (sqlite/, docs/sqlite.md) -------------------------
# build/wasm_sqlite.so, for `.load build/wasm_sqlite`.  A shared object needs
# position-independent code and libwasmbox.a is not: the engine is compiled
# again into build/pic/, with hidden visibility, so that the extension
# exports only its entry point.  Always plain -O2 (also under SANITIZE=1):
# sqlite3 and python3 cannot load an ASan-instrumented object.
SQ_CFLAGS := -O2 -g -fPIC -fvisibility=hidden
PIC_OBJ := $(LIB_SRC:src/%.c=build/pic/%.o)
SQ_SRC  := $(wildcard sqlite/*.c)
SQ_OBJ  := $(SQ_SRC:sqlite/%.c=build/pic/sqlite/%.o)
build/pic/%.o: src/%.c $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(WFLAGS) $(SQ_CFLAGS) -MMD -MP -c $< -o $@
ifeq ($(IS_GCC),1)
build/pic/interp.o: SQ_CFLAGS += -fno-gcse -fno-tree-loop-distribute-patterns
endif
build/pic/sqlite/%.o: sqlite/%.c sqlite/wasm_sqlite.h include/wasmbox.h $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(WFLAGS) $(SQ_CFLAGS) -MMD -MP -c $< -o $@
# -z nodelete: the ticker thread (sqlite/call.c) outlives any connection,
# so the object stays mapped when SQLite closes the last one.
build/wasm_sqlite.so: $(SQ_OBJ) $(PIC_OBJ)
	$(CC) -shared -Wl,--no-undefined -Wl,-z,nodelete $^ -lcrypto $(LDLIBS) -o $@
# The PostgreSQL tests' guests (examples/pg), built as pg/Makefile builds
# them: the SQLite tests run the same files.
SQ_GUESTS := $(patsubst examples/pg/%.c,build/examples/pg/%.wasm,$(wildcard examples/pg/*.c))
build/examples/pg/%.wasm: examples/pg/%.c sdk/wasmbox_udf.h $(wildcard examples/pg/*.h) $(DEPS_STAMP)
	@mkdir -p $(@D)
	clang --target=wasm32 -O2 -msimd128 -nostdlib -Wl,--no-entry -Isdk $< -o $@
all: build/wasm_sqlite.so $(SQ_GUESTS)
-include $(PIC_OBJ:.o=.d) $(SQ_OBJ:.o=.d)

# ---- benchmarks -------------------------------------------------------------
WASM_CC := clang --target=wasm32 -O2 -mbulk-memory -nostdlib -Wl,--no-entry

build/bench/kernels.wasm: bench/kernels.c $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(WASM_CC) $< -o $@

build/bench/density.wasm: bench/density.wat $(DEPS_STAMP)
	@mkdir -p $(@D)
	wat2wasm $< -o $@

build/bench/add.wasm: bench/add.wat $(DEPS_STAMP)
	@mkdir -p $(@D)
	wat2wasm $< -o $@

# The native anchor: gcc -O2, as the issue names it.
build/bench/kernels_native.o: bench/kernels.c
	@mkdir -p $(@D)
	gcc -O2 -c $< -o $@
# Built with everything (but the sanitized build): build/bench/bench run by
# hand then never measures an older library than the one just built.
all: $(if $(filter 1,$(SANITIZE)),,build/bench/bench)

build/bench/bench: bench/bench.c build/bench/kernels_native.o build/libwasmbox.a
	$(CC) $(CPPFLAGS) $(WFLAGS) -O2 $^ $(LDLIBS) -o $@

build/bench/sqlite_bench: bench/sqlite_bench.c examples/pg/utf8_reverse.h
	@mkdir -p $(@D)
	$(CC) -D_DEFAULT_SOURCE $(WFLAGS) -O2 $< -lsqlite3 -o $@

bench: build/bench/bench build/bench/kernels.wasm build/bench/density.wasm build/bench/add.wasm build/wasmbox all build/bench/native_hello build/bench/sqlite_bench
	build/bench/bench
	@build/bench/sqlite_bench
	@B=$(B) sh bench/containerd.sh
	@bench/wat_parse.sh build
	@scripts/install-deps.sh bench
	@pg/run-tests.sh bench

# The containerd shim against runc through one private containerd: throughput
# of `ctr run --rm` and the shim's memory per sleeping container (N, D override
# the counts: 100 and 1,000).  Needs root and containerd (install-deps.sh).
build/bench/native_hello: bench/native_hello.c
	@mkdir -p $(@D)
	gcc -O2 -static $< -o $@
# The benchmark's own containerd client (gRPC over HTTP/2 with libnghttp2):
# both runtimes are driven by it, so neither pays for ctr.
CTDC_PROTO_O := $(B)/proto/ctdapi.pb-c.o $(B)/proto/task.pb-c.o $(B)/proto/wellknown.pb-c.o
$(B)/bench/ctd_client: bench/ctd_client.c bench/ctd_grpc.c bench/ctd_grpc.h $(CTDC_PROTO_O)
	@mkdir -p $(@D)
	$(CC) -I$(B)/proto $(WFLAGS) $(CFLAGS) $(LDFLAGS) bench/ctd_client.c bench/ctd_grpc.c $(CTDC_PROTO_O) -lnghttp2 -lprotobuf-c -o $@
all: $(B)/bench/ctd_client
bench-containerd: all build/bench/native_hello
	@B=$(B) sh bench/containerd.sh $(N) $(D)

# wasmboxd's density: 100,000 tickers and 1,000,000 sleepers (minutes, ~10 GiB;
# not in `make bench` or CI).  N and M override the counts.
bench-density: all
	@B=$(B) bench/sandboxd_density.sh $(N) $(M)

# ---- fuzzing: clang libFuzzer + ASan over load, instantiate and call ---------
FUZZ_SECONDS ?= 600
build/fuzz/fuzz_load: tests/fuzz/fuzz_load.c tests/fuzz/exercise.h $(LIB_SRC) $(wildcard src/*.h src/compile/*.h) include/wasmbox.h
	@mkdir -p $(@D)
	clang $(CPPFLAGS) -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined $< $(LIB_SRC) -lm -lpthread -o $@

# Seeds: our test modules, the benchmark kernels and every module of the
# spec suite (as `wasmbox wast --dump` writes them: N.wasm encoded from
# text, N.bin binary as given).
fuzz: build/fuzz/fuzz_load $(WASM) build/bench/kernels.wasm build/wasmbox
	@mkdir -p build/fuzz/corpus build/fuzz/spec
	cp build/modules/*.wasm build/bench/kernels.wasm build/fuzz/corpus/
	@for f in $(SUITE)/*.wast; do \
		n=$$(basename $$f .wast); mkdir -p build/fuzz/spec/$$n; \
		build/wasmbox wast --dump build/fuzz/spec/$$n $$f >/dev/null || true; \
		for m in build/fuzz/spec/$$n/*; do [ -e "$$m" ] || continue; cp $$m build/fuzz/corpus/$$n.$${m##*/}; done; \
	done
	build/fuzz/fuzz_load -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -rss_limit_mb=4096 \
		-artifact_prefix=build/fuzz/ \
		-print_final_stats=1 build/fuzz/corpus

# The text format: wb_wat_to_wasm, wb_module_from_wat and the .wast lexer.
# Seeds: the spec suite's scripts cut into commands, and our .wat files.
build/fuzz/fuzz_wat: tests/fuzz/fuzz_wat.c tests/fuzz/exercise.h $(LIB_SRC) $(wildcard src/*.h src/compile/*.h) include/wasmbox.h
	@mkdir -p $(@D)
	clang $(CPPFLAGS) -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		$< $(LIB_SRC) -lm -lpthread -o $@

fuzz-wat: build/fuzz/fuzz_wat
	@mkdir -p build/fuzz/wat-corpus
	awk -v out=build/fuzz/wat-corpus -f tests/fuzz/split_wast.awk $(SUITE)/*.wast
	cp $(WAT) bench/density.wat build/fuzz/wat-corpus/
	build/fuzz/fuzz_wat -max_total_time=$(FUZZ_SECONDS) -max_len=16384 -rss_limit_mb=4096 \
		-artifact_prefix=build/fuzz/wat- \
		-print_final_stats=1 build/fuzz/wat-corpus

# ---- demo -------------------------------------------------------------------
build/examples/%.wasm: examples/%.c $(DEPS_STAMP)
	@mkdir -p $(@D)
	clang --target=wasm32 -O2 -nostdlib -Wl,--no-entry $< -o $@

demo: all build/examples/udfs.wasm guests
	@scripts/demo.sh

# ---- guests in C, Rust and AssemblyScript (docs/guests.md) ------------------
# Rust: Debian's rustc and its wasm32 standard library (a rustup toolchain on
# PATH usually has no wasm32 target, hence the full path).  The SDK is a
# one-file crate compiled to an rlib; -C lto lets its allocator and glue
# inline into each export.  AssemblyScript: the pinned compiler in
# sdk/assemblyscript/node_modules, driven by sdk/assemblyscript/build.mjs.
RUSTC      := /usr/bin/rustc
RUST_FLAGS := --edition 2021 -O -C lto -C strip=debuginfo -D warnings
RUST_SDK   := build/guests/rust/libwasmbox_udf.rlib
AS_STAMP   := sdk/assemblyscript/node_modules/.wasmbox-lock
AS_BUILD   := node sdk/assemblyscript/build.mjs
GUESTS := build/guests/guestcall \
	build/guests/c/udfs.wasm build/guests/c/revlines.wasm \
	build/guests/rust/udfs.wasm build/guests/rust/revlines.wasm build/guests/rust/bad.wasm \
	build/guests/as/udfs.wasm build/guests/as/revlines.wasm build/guests/as/bad.wasm
.PHONY: guests bench-guests
guests: $(GUESTS)
check: guests

$(AS_STAMP): sdk/assemblyscript/package-lock.json
	@scripts/install-deps.sh

build/guests/guestcall: tests/guests/guestcall.c build/libwasmbox.a
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(WFLAGS) -O2 -g $< build/libwasmbox.a $(LDLIBS) -o $@

build/guests/c/udfs.wasm: examples/c/udfs.c sdk/wasmbox_udf.h $(DEPS_STAMP)
	@mkdir -p $(@D)
	clang --target=wasm32 -O2 -nostdlib -Wl,--no-entry -I sdk $< -o $@
build/guests/c/revlines.wasm: examples/c/revlines.c $(DEPS_STAMP)
	@mkdir -p $(@D)
	clang --target=wasm32-wasi -O2 $< -o $@

$(RUST_SDK): sdk/rust/wasmbox_udf.rs $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(RUSTC) $(RUST_FLAGS) --target wasm32-unknown-unknown --crate-type rlib $< -o $@
build/guests/rust/%.wasm: examples/rust/%.rs $(RUST_SDK)
	$(RUSTC) $(RUST_FLAGS) --target wasm32-unknown-unknown --crate-type cdylib --extern wasmbox_udf=$(RUST_SDK) $< -o $@
build/guests/rust/bad.wasm: tests/guests/bad.rs $(RUST_SDK)
	$(RUSTC) $(RUST_FLAGS) --target wasm32-unknown-unknown --crate-type cdylib --extern wasmbox_udf=$(RUST_SDK) $< -o $@
build/guests/rust/revlines.wasm: examples/rust/revlines.rs $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(RUSTC) $(RUST_FLAGS) --target wasm32-wasi $< -o $@

build/guests/as/udfs.wasm: examples/assemblyscript/udfs.ts sdk/assemblyscript/udf.ts sdk/assemblyscript/build.mjs $(AS_STAMP)
	@mkdir -p $(@D)
	$(AS_BUILD) $< -o $@
build/guests/as/bad.wasm: tests/guests/bad.ts sdk/assemblyscript/udf.ts sdk/assemblyscript/build.mjs $(AS_STAMP)
	@mkdir -p $(@D)
	$(AS_BUILD) $< -o $@
build/guests/as/revlines.wasm: examples/assemblyscript/revlines.ts sdk/assemblyscript/wasi.ts sdk/assemblyscript/build.mjs $(AS_STAMP)
	@mkdir -p $(@D)
	$(AS_BUILD) --wasi $< -o $@

# The text reverse UDF in C, Rust and AssemblyScript, side by side.
bench-guests: guests
	@bench/guests.sh
bench: bench-guests
