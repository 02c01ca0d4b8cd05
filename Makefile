# A thin wrapper over Meson for the README's two commands and a few more.
BUILD ?= build
TULPEN = $(BUILD)/cli/tulpen

.PHONY: all deps build run check bench install clean

all: build

deps:
	sh scripts/deps.sh

$(BUILD)/build.ninja:
	meson setup $(BUILD)

build: $(BUILD)/build.ninja
	ninja -C $(BUILD)

# Install what is needed, build, and show every socket like netstat -tulpen.
run: deps build
	$(TULPEN) -tulpen

# Every test, twice: once plainly and once under ASan+UBSan.
check: deps
	bash scripts/check.sh

# The scale benchmark (small preset); see docs/PERFORMANCE.md.
bench: build
	sh scripts/deps.sh --bench
	bash bench/run.sh small --tulpen $(TULPEN) --bin $(BUILD)/bench

# The command, libtulpen.so, its headers, tulpen.pc, the man page and the
# docs. DESTDIR=/tmp/stage installs below that directory instead. Meson
# before 1.1 does not refresh the linker cache for a new shared library.
install: build
	meson install -C $(BUILD) --no-rebuild
	if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ]; then ldconfig; fi

clean:
	rm -rf $(BUILD) build-asan build-tsan
