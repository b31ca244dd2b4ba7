# SPDX-License-Identifier: GPL-2.0
#
# The Rust module builds against the patched kernel tree in KDIR; by
# default the cached test kernel of FANFILTER_KERNEL (7.3, or 6.12; built on
# demand by scripts/build-kernel.sh).
#
#   make [module]        build src/fanotify_filters.ko
#   make tests           build the test and example programs into build/
#   make test            set up, build, boot and run all tests on both kernels
#   make demo            boot and show the subtree filter at work
#   make stress          10 minutes of races on the debug kernel
#   make bench           boot and benchmark configurations a-e (README)
#   make bench-prototype the many-groups benchmark on the series + patches/prototype/
#   make series-check    build and boot every step of both series (patches/)
#   make host-test       host unit tests of the filters' argument parsers
#   make userspace       build the fanfilter command (userspace/)
#   make install         install it, its man page and completions (PREFIX, DESTDIR)
#   make deb             a Debian package of them in build/packages/
#   make check           rustfmt, clippy and checkpatch --strict
#   make rust-analyzer   write rust-project.json for editors

# test and demo set the machine up first; everything else needs a kernel.
ifeq ($(filter test demo stress bench bench-prototype compare series-check,$(MAKECMDGOALS)),)
ifeq ($(KDIR),)
KDIR := $(shell $(CURDIR)/scripts/build-kernel.sh test)
endif
endif
# 6.12 and 7.3 build with other toolchains: use those KDIR was built with.
KMAKE_ARGS = $(shell $(CURDIR)/scripts/kmake-args.sh $(KDIR))
KMAKE = $(MAKE) -C $(KDIR) M=$(CURDIR) $(KMAKE_ARGS)

# Objects built against another kernel tree would not load: start over
# when KDIR changes.
kdir-check:
	@if [ "$$(cat .kdir 2>/dev/null)" != "$(KDIR)" ]; then \
		$(KMAKE) clean >/dev/null; echo "$(KDIR)" >.kdir; fi

module: kdir-check
	$(KMAKE) W=1 modules

# BPF filters and their loader only for a kernel that can run them.
BPF_KERNEL := $(shell grep -s '^CONFIG_FANOTIFY_FILTER_BPF=y' $(KDIR)/.config)

# Programs built against one kernel's headers, BTF and test module must not
# run on another: each kernel tree gets its own build/<tree>/, and
# build/tests, build/examples and build/bench point to those of the last
# `make tests`.
KOUT = $(CURDIR)/build/$(notdir $(KDIR))
tests:
	$(if $(BPF_KERNEL),$(MAKE) -C bpf KDIR=$(KDIR) OUT=$(KOUT)/tests/bpf)
	$(MAKE) -C tests KDIR=$(KDIR) OUT=$(KOUT)/tests
	$(MAKE) -C examples KDIR=$(KDIR) OUT=$(KOUT)/examples
	$(MAKE) -C bench KDIR=$(KDIR) OUT=$(KOUT)/bench
	for d in tests examples bench; do \
		[ -L build/$$d ] || rm -rf build/$$d; \
		ln -sfn $(notdir $(KDIR))/$$d build/$$d; \
	done

test:
	scripts/test.sh

demo:
	scripts/demo.sh

stress:
	scripts/stress.sh $(STRESS_SECONDS)

bench:
	scripts/bench.sh

bench-prototype:
	scripts/prototype-bench.sh

compare:
	bench/compare.sh

series-check:
	scripts/series-check.sh

# Host unit tests of the filters' argument parsers (src/filters/args.rs,
# core only), with clippy and rustfmt of the host crate.
HOST_TESTS := src/filters/host-tests
# Debian's rustc, as for the kernel: rustup's toolchains are offline-only.
CARGO := RUSTC=/usr/bin/rustc /usr/bin/cargo

userspace:
	cd userspace && $(CARGO) build --release --locked

# The command, its man page and completions; a .deb of them.
PREFIX ?= /usr/local
install: userspace
	scripts/install-userspace.sh "$(DESTDIR)" "$(PREFIX)"

deb: userspace
	scripts/package.sh

host-test:
	cd userspace && FANFILTER_UAPI_INCLUDE=$(KDIR)/usr-headers/include $(CARGO) test --locked
	cd userspace && $(CARGO) clippy --locked --all-targets -- -D warnings
	cd userspace && $(CARGO) fmt --check
	cd $(HOST_TESTS) && /usr/bin/cargo test
	cd $(HOST_TESTS) && /usr/bin/cargo clippy --all-targets -- -D warnings
	/usr/bin/rustfmt --check --edition 2021 src/filters/args.rs src/filters/config.rs \
		$(HOST_TESTS)/src/lib.rs

clippy: kdir-check
	$(KMAKE) CLIPPY=1 CLIPPY_DRIVER=/usr/bin/clippy-driver W=1 modules

fmt-check:
	/usr/bin/rustfmt --check --edition 2021 --config-path $(KDIR)/.rustfmt.toml \
		src/fanotify_filters.rs

checkpatch:
	scripts/checkpatch.sh

check: fmt-check clippy checkpatch

rust-analyzer:
	$(KMAKE) rust-analyzer

clean:
	$(KMAKE) clean
	rm -rf build .kdir


.PHONY: kdir-check host-test userspace install deb module tests test demo stress bench bench-prototype compare series-check clippy fmt-check checkpatch check rust-analyzer clean
