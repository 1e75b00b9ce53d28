# Makefile — wraps the common commands (the build itself is CMake).
#   make lib         build only the libraries (libgoc, libgoc_http: .a, .so)
#   make demo        build, then run the demos (README)
#   make test        build, then run the whole test suite (README, CI)
#   make test-asan   the tests under AddressSanitizer + UBSan
#   make test-tsan   the tests under ThreadSanitizer
#   make test-aarch64  cross-build for aarch64, run the core tests in qemu-user
#   make soak        the mixed workload soak, SOAK_SECONDS (600) long
#                    (make soak SOAK_SECONDS=60 is the CI length)
#   make bench       goc vs Go anchors (compare.py), P=1,2
#   make bench-http  goc vs Go net/http vs nginx under wrk
#   make test-deploy wrk through HAProxy across a rolling restart of three
#                    http_hello instances: 0 failed requests (not in make test)
#   make check-deploy  Dockerfile and deploy/k8s checked without Docker or a
#                    cluster (schemas, lint, the build stage run natively)
#   make install PREFIX=/usr/local   (also the goc-asan, goc-tsan variants)
BUILD   ?= build
JOBS    ?= $(shell nproc)
PREFIX  ?= /usr/local
CMAKE   ?= cmake
CTEST_ARGS ?=
SOAK_SECONDS ?= 600
# The TSan build uses clang when it is installed: gcc 12's libtsan makes
# each goroutine (a TSan fiber) cost 4.5 ms and ~850 KB, and stops at 8128
# alive; clang's costs 17 us (README "Sanitizing your own program").
TSAN_CC ?= $(shell command -v clang >/dev/null 2>&1 && echo clang || echo cc)


.PHONY: all build lib demo test test-asan test-tsan test-aarch64 soak bench bench-http install clean fuzz test-deploy check-deploy

all: build

build:
	$(CMAKE) -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	$(CMAKE) --build $(BUILD) -j $(JOBS)

lib:
	$(CMAKE) -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	$(CMAKE) --build $(BUILD) -j $(JOBS) --target lib

demo: build
	sh scripts/demo.sh $(BUILD)

test: build
	ctest --test-dir $(BUILD) -j $(JOBS) --output-on-failure -LE soak $(CTEST_ARGS)

test-asan:
	$(CMAKE) -S . -B build-asan -DGOC_SANITIZE=address >/dev/null
	$(CMAKE) --build build-asan -j $(JOBS)
	ctest --test-dir build-asan -j $(JOBS) --output-on-failure -LE 'slow|soak' $(CTEST_ARGS)

test-tsan:
	$(CMAKE) -S . -B build-tsan -DGOC_SANITIZE=thread -DCMAKE_C_COMPILER=$(TSAN_CC) >/dev/null
	$(CMAKE) --build build-tsan -j $(JOBS)
	ctest --test-dir build-tsan -j $(JOBS) --output-on-failure -LE 'slow|soak' $(CTEST_ARGS)

soak: build
	$(BUILD)/tests/test_soak $(SOAK_SECONDS)

test-aarch64:
	$(CMAKE) -S . -B build-aarch64 -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake >/dev/null
	$(CMAKE) --build build-aarch64 -j $(JOBS)
	ctest --test-dir build-aarch64 -j $(JOBS) --output-on-failure -L core $(CTEST_ARGS)

bench: build
	for b in spawn yield parallel pingpong buffered select mutex timers parked; do \
	  python3 ../shared/anchors/compare.py --procs 1,2 --reps 3 --goc $(BUILD)/bench/goc-bench $$b || exit 1; done

bench-http: build
	sh scripts/bench_http.sh

test-deploy: build
	bash deploy/run-local.sh test $(BUILD)

check-deploy:
	bash deploy/check.sh

fuzz:
	sh fuzz/run_http_fuzz.sh 60

# The plain library, tools and headers, then the goc-asan and goc-tsan
# library variants (their own build directories, libraries only).
install: build
	$(CMAKE) --install $(BUILD) --prefix $(PREFIX)
	$(CMAKE) -S . -B build-asan -DGOC_SANITIZE=address >/dev/null
	$(CMAKE) --build build-asan -j $(JOBS) --target goc goc_shared
	$(CMAKE) --install build-asan --prefix $(PREFIX)
	$(CMAKE) -S . -B build-tsan -DGOC_SANITIZE=thread -DCMAKE_C_COMPILER=$(TSAN_CC) >/dev/null
	$(CMAKE) --build build-tsan -j $(JOBS) --target goc goc_shared
	$(CMAKE) --install build-tsan --prefix $(PREFIX)

clean:
	rm -rf $(BUILD) build-asan build-tsan build-aarch64
