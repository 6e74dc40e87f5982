# The two commands: `make demo` and `make test`. Both install what is missing
# (scripts/install-deps), build with CMake + Ninja (+ ccache), then run.
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)
CMAKE_ARGS ?=

# ccache keyed on paths relative to the checkout, so a fresh clone reuses the
# cache of an earlier one on the same machine.
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := true

.PHONY: all deps build demo test unit check-docs check-examples asan docs bench bench-log bench-gateway bench-gateway-instructions bench-gateway-cpu bench-connectors fuzz format clean

all: build

deps:
	@scripts/install-deps

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release $(CMAKE_ARGS)

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD) -j $(JOBS)

demo: build
	rm -f data/hello/fulfil.jsonl data/hello/dead-letters.jsonl
	./$(BUILD)/junction run examples/hello/junction.yaml
	@echo
	@echo "Above: big orders, routed to the review output (stdout)."
	@echo "Small orders went to data/hello/fulfil.jsonl ($$(wc -l < data/hello/fulfil.jsonl) lines):"
	@head -n 3 data/hello/fulfil.jsonl
	@echo "Every tenth order was filtered out. Edit examples/hello/junction.yaml and run 'make demo' again."

# Unit, integration and end-to-end tests, the docs and examples checks, then
# the same tests again under AddressSanitizer + UndefinedBehaviorSanitizer.
test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)
	$(MAKE) --no-print-directory check-docs check-examples
	$(MAKE) --no-print-directory asan

check-docs:
	@./$(BUILD)/junction doc --markdown > $(BUILD)/components.md
	@if ! diff -u docs/components.md $(BUILD)/components.md; then \
	  echo "docs/components.md is stale: run 'make docs' and commit it"; exit 1; fi
	@echo "docs/components.md is current"

check-examples:
	@for spec in $$(find examples -name 'junction.yaml' -o -name '*.junction.yaml' | sort); do \
	  ./$(BUILD)/junction validate $$spec || exit 1; done

asan: deps
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DJUNCTION_SANITIZE=ON $(CMAKE_ARGS)
	ninja -C $(ASAN_BUILD) -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --test-dir $(ASAN_BUILD) --output-on-failure -j $(JOBS)

# libFuzzer on the record batch decoder and segment recovery (clang), for
# FUZZ_SECONDS each; new inputs that raise coverage land in build-fuzz/corpus.
FUZZ_SECONDS ?= 60
fuzz:
	@scripts/install-deps --fuzz
	CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DJUNCTION_FUZZ=ON
	ninja -C build-fuzz
	for t in record_batch segment_recovery http_response http_request; do \
	  mkdir -p build-fuzz/corpus/$$t && \
	  ./build-fuzz/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
	    build-fuzz/corpus/$$t fuzz/corpus/$$t || exit 1; done

docs: build
	./$(BUILD)/junction doc --markdown > docs/components.md

bench: build
	bench/flow/run.sh $(BUILD)
	bench/log/run.sh $(BUILD)
	bench/gateway/run.sh $(BUILD)
	$(MAKE) --no-print-directory bench-connectors

# The gateway against nginx as a reverse proxy, with wrk, in one run.
bench-gateway: build
	bench/gateway/run.sh $(BUILD)

# The same proxies, user-space instructions per request under callgrind: a
# figure that other load on the machine barely moves.
bench-gateway-instructions: build
	bench/gateway/instructions.sh $(BUILD)

# The same proxies, each alone: CPU time and system calls per request, what
# decides who serves more when wrk, the upstream and the proxy share cores.
bench-gateway-cpu: build
	bench/gateway/cpu.sh $(BUILD)

# Junction bridges against the systems' own copy tools, on one machine in
# one run: PostgreSQL (psql \copy) and NATS JetStream (a libnats copier).
bench-connectors: build
	bench/connectors/postgres/run.sh $(BUILD)
	bench/connectors/nats/run.sh $(BUILD)

# The embedded log against NATS JetStream only (needs nats-server and
# libnats-dev, which deps installs).
bench-log: build
	bench/log/run.sh $(BUILD)

format:
	find src tests bench -name '*.h' -o -name '*.cc' | xargs clang-format -i

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
