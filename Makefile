# The two commands of the README, and their parts.
#   make run    installs what is missing, builds the release binary, serves on :8080
#   make test   the same setup, then unit, integration and browser tests
#   make bench  benchmarks; figures go to docs/BENCHMARKS.md
#   make fuzz   the libFuzzer targets, FUZZ_SECONDS each (docs/RELIABILITY.md)

PRESET ?= release
BUILD_DIR := build/$(PRESET)
HERALD := $(BUILD_DIR)/herald

.PHONY: all bootstrap configure server build run test unit integration asan sanitized-units bench \
	fuzz clean format

all: build

bootstrap:
	@scripts/bootstrap

configure: bootstrap
	@cmake --preset $(PRESET) >/dev/null

# The herald binary alone: what `make run` needs, without the unit tests' targets.
server: configure
	@cmake --build $(BUILD_DIR) --target herald

# Everything: the binary and the unit tests.
build: configure
	@cmake --build $(BUILD_DIR)

run: server
	$(HERALD) serve

test: build
	@scripts/test $(BUILD_DIR)

unit: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure

integration: build
	HERALD_BIN=$(CURDIR)/$(HERALD) node --test --test-concurrency=2 tests/integration/

# The whole suite under AddressSanitizer and UndefinedBehaviorSanitizer.
asan:
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		$(MAKE) test PRESET=asan

# The unit tests under ASan+UBSan, and the threaded ones under TSan (CI runs this too).
sanitized-units: bootstrap
	@scripts/sanitized-units

# The libFuzzer targets, each for FUZZ_SECONDS (default 60): clang, ASan+UBSan (tests/fuzz).
fuzz: bootstrap
	@scripts/fuzz

bench: server
	@bench/run $(HERALD)

format:
	clang-format -i $$(git ls-files 'src/*.cpp' 'src/*.hpp' 'tests/*.cpp' 'tests/*.hpp')

clean:
	rm -rf build
