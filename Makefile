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

.PHONY: all check unit spec bench bench-density fuzz fuzz-wat demo deps clean format
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
	$(CC) $(LDFLAGS) $^ -ljansson -lcurl $(LDLIBS) -o $@

# wasmboxd: the sandbox host (libevent's HTTP server, jansson, OpenSSL's SHA-256).
SBD_SRC := $(wildcard sandboxd/*.c)
SBD_OBJ := $(SBD_SRC:sandboxd/%.c=$(B)/obj/sandboxd/%.o)
$(B)/obj/sandboxd/%.o: sandboxd/%.c sandboxd/sandboxd.h $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -D_GNU_SOURCE $(WFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(B)/wasmboxd: $(SBD_OBJ) $(B)/libwasmbox.a
	$(CC) $(LDFLAGS) $^ -levent_pthreads -levent_core -levent_extra -ljansson -lcrypto $(LDLIBS) -o $@

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

# The PostgreSQL extension into the system server (PGXS, as pg_config says).
install: $(DEPS_STAMP)
	$(MAKE) -C pg install

clean:
	rm -rf build build-san
	-$(MAKE) -C pg clean >/dev/null 2>&1

format:
	clang-format -i src/*.c src/*.h src/compile/*.c src/compile/*.h include/*.h cli/*.c tests/unit/*.c tests/unit/*.h

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(SBD_OBJ:.o=.d)

# ---- benchmarks -------------------------------------------------------------
WASM_CC := clang --target=wasm32 -O2 -mbulk-memory -nostdlib -Wl,--no-entry

build/bench/kernels.wasm: bench/kernels.c $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(WASM_CC) $< -o $@

build/bench/density.wasm: bench/density.wat $(DEPS_STAMP)
	@mkdir -p $(@D)
	wat2wasm $< -o $@

# The native anchor: gcc -O2, as the issue names it.
build/bench/kernels_native.o: bench/kernels.c
	@mkdir -p $(@D)
	gcc -O2 -c $< -o $@

build/bench/bench: bench/bench.c build/bench/kernels_native.o build/libwasmbox.a
	$(CC) $(CPPFLAGS) $(WFLAGS) -O2 $^ $(LDLIBS) -o $@

bench: build/bench/bench build/bench/kernels.wasm build/bench/density.wasm build/wasmbox
	build/bench/bench
	@bench/wat_parse.sh build
	@scripts/install-deps.sh bench
	@pg/run-tests.sh bench

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

demo: all build/examples/udfs.wasm
	@scripts/demo.sh
