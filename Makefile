# ltsweep: the two commands of the README.
#
#   make demo   install dependencies, build, run the quickstart sweep end to end
#   make test   install dependencies, build, run every test through ctest
#               (with each fuzz target for a few seconds, label "fuzz")
#   make fuzz   build the libFuzzer targets with clang in build-fuzz/ and run
#               each for FUZZ_SECONDS (default 60); prints executions and
#               crashes per target (tests/fuzz/CMakeLists.txt)
#
# Variables: BUILD_DIR (default build), JOBS (default: all cores),
# CMAKE_ARGS (extra configure flags, e.g. -DLTSWEEP_SANITIZE=ON).

BUILD_DIR ?= build
JOBS ?= $(shell nproc)
CMAKE_ARGS ?=
# ccache: key objects on paths relative to the checkout, so a clone in another
# folder (CI) reuses what an earlier build compiled.
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := 1

GENERATOR := $(shell command -v ninja >/dev/null 2>&1 && echo Ninja || echo "Unix Makefiles")

.PHONY: demo test deps build configure clean sanitize-test fuzz

demo: build
	./$(BUILD_DIR)/cli/ltsweep run sweeps/quickstart.yaml --db ltsweep.db --report report.html

test: build
	cd $(BUILD_DIR) && OPENBLAS_NUM_THREADS=1 ctest --output-on-failure -j $(JOBS)

deps:
	@bash deploy/install-deps.sh

configure: deps
	@if [ ! -f $(BUILD_DIR)/CMakeCache.txt ]; then \
	  cmake -S . -B $(BUILD_DIR) -G "$(GENERATOR)" -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_ARGS); \
	fi

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

# Tests under AddressSanitizer + UBSan in a separate build folder.
sanitize-test:
	$(MAKE) test BUILD_DIR=build-asan CMAKE_ARGS="-DLTSWEEP_SANITIZE=ON -DLTSWEEP_BUILD_BENCH=OFF"

# libFuzzer targets (tests/fuzz/targets.cmake), built with clang on their own.
FUZZ_DIR ?= build-fuzz
FUZZ_SECONDS ?= 60
fuzz: deps
	@if [ ! -f $(FUZZ_DIR)/CMakeCache.txt ]; then \
	  cmake -S tests/fuzz -B $(FUZZ_DIR) -G "$(GENERATOR)" -DCMAKE_CXX_COMPILER=clang++ \
	    -DCMAKE_BUILD_TYPE=RelWithDebInfo $$(command -v ccache >/dev/null && echo -DCMAKE_CXX_COMPILER_LAUNCHER=ccache); \
	fi
	cmake --build $(FUZZ_DIR) -j $(JOBS)
	@status=0; for t in $$(sed -n 's/^ltsweep_fuzz_target.\([a-z_0-9]*\) .*/\1/p' tests/fuzz/targets.cmake); do \
	  bash tests/fuzz/run_fuzzer.sh $(FUZZ_DIR)/$${t}_fuzz tests/fuzz/corpus/$$t $(FUZZ_SECONDS) $(FUZZ_DIR)/runs/$$t || status=1; \
	done; exit $$status

clean:
	rm -rf $(BUILD_DIR)
