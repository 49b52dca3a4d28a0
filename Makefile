# hnbtre: top-level build.  `make help` lists the targets.

KVER ?= $(shell find /lib/modules -maxdepth 1 -name '6.1.*' -printf '%f\n' 2>/dev/null | sort -V | tail -n 1)
KDIR ?= /lib/modules/$(KVER)/build
BUILD := $(CURDIR)/build
# PEM file with the operator roots embedded in the module (empty: none).
HNBTRE_ROOTS ?=
# Test hooks (kernel/Kconfig: SECURITY_HNBTRE_TEST_HOOKS) only in a module
# that trusts the test PKI's root, whose private keys lie in build/pki:
# such a module is a test module anyway.  Never for a device.
HNBTRE_TEST_HOOKS ?= $(if $(HNBTRE_ROOTS),$(if $(filter $(BUILD)/pki/root.pem,$(abspath $(HNBTRE_ROOTS))),y))
LINUX_SOURCE_TAR ?= /usr/src/linux-source-6.1.tar.xz
# Only the parts of the kernel source that the selftests and checkpatch use.
KSRC := $(BUILD)/linux-src
KSELFTEST := $(BUILD)/kselftest

.PHONY: all deps module userspace strongswan kselftest gate-bench checkpatch man deb check check-builtin check-packages demo bench install clean help

all: module userspace strongswan kselftest gate-bench

help:
	@echo "make [HNBTRE_ROOTS=certs.pem]  build module, userspace and kselftests"
	@echo "make check                     install deps, build, run every test"
	@echo "make demo                      end-to-end demonstration in a VM"
	@echo "make bench                     benchmarks (ratios)"
	@echo "make checkpatch                kernel style check of kernel/"
	@echo "make man                       man pages (scdoc) into build/man/"
	@echo "make deb                       Debian packages into build/deb/ (lintian checked)"
	@echo "make check-builtin             hnbtre built into linux-source-6.1, tested in a VM"
	@echo "make check-packages            the .debs installed in a VM (DKMS, start-up, IKEv2)"
	@echo "make install [DESTDIR=dir]     libhnbtre (.so, .a, headers, hnbtre.pc), programs, plugin"
	@echo "make clean"

# Installs only what is missing; needs root when something is.
deps:
	@scripts/install-deps

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) HNBTRE_ROOTS=$(if $(HNBTRE_ROOTS),$(abspath $(HNBTRE_ROOTS))) \
		CONFIG_SECURITY_HNBTRE_TEST_HOOKS=$(HNBTRE_TEST_HOOKS) modules

userspace:
	$(MAKE) -C userspace O=$(BUILD)

# The charon plugin (Documentation/strongswan.md): strongSwan's Debian
# source package is fetched and configured once into build/strongswan-src.
# It links libhnbtre.so.
strongswan: userspace
	scripts/strongswan-src
	$(MAKE) -C userspace/strongswan O=$(BUILD)

$(KSRC)/.extracted: $(LINUX_SOURCE_TAR)
	rm -rf $(KSRC) && mkdir -p $(KSRC)
	tar -xJf $(LINUX_SOURCE_TAR) -C $(KSRC) --strip-components=1 \
		linux-source-6.1/tools/testing/selftests/lib.mk \
		linux-source-6.1/tools/testing/selftests/Makefile \
		linux-source-6.1/tools/testing/selftests/kselftest_harness.h \
		linux-source-6.1/tools/testing/selftests/kselftest.h \
		linux-source-6.1/tools/testing/selftests/kselftest \
		linux-source-6.1/tools/testing/selftests/run_kselftest.sh \
		linux-source-6.1/scripts/checkpatch.pl \
		linux-source-6.1/scripts/spelling.txt \
		linux-source-6.1/scripts/const_structs.checkpatch \
		linux-source-6.1/scripts/subarch.include
	touch $@

# Our suite is copied into the extracted framework so that `include ../lib.mk`
# and "../kselftest_harness.h" resolve as they do in a kernel tree.
# The uapi header goes where `make headers_install` would put it, which
# the selftests find through KHDR_INCLUDES.
kselftest: $(KSRC)/.extracted
	rm -rf $(KSRC)/tools/testing/selftests/hnbtre
	cp -r selftests/hnbtre $(KSRC)/tools/testing/selftests/hnbtre
	install -D -m 0644 kernel/uapi/linux/hnbtre.h $(KSRC)/usr/include/linux/hnbtre.h
	$(MAKE) -C $(KSRC)/tools/testing/selftests TARGETS=hnbtre \
		KSFT_INSTALL_PATH=$(KSELFTEST) install >/dev/null

checkpatch: $(KSRC)/.extracted
	scripts/checkpatch-tap $(KSRC)/scripts/checkpatch.pl

# Man pages: one scdoc source each in Documentation/man/ (PAGE.SECTION.scd).
MAN_SRCS := $(wildcard Documentation/man/*.scd)
man: $(patsubst Documentation/man/%.scd,$(BUILD)/man/%,$(MAN_SRCS))
$(BUILD)/man/%: Documentation/man/%.scd
	@mkdir -p $(dir $@)
	scdoc < $< > $@

# Debian packages (Documentation/packaging.md); TAP on stdout.
deb:
	scripts/build-debs

# hnbtre built into Debian's linux-source-6.1 (scripts/builtin-kernel,
# cached in build/builtin/), booted and tested in a VM.  Not part of
# `make check`: the first kernel build alone takes longer than CI allows
# besides the suite; run it once per change of kernel/.
check-builtin: deps
	scripts/mkpki
	$(MAKE) userspace kselftest
	scripts/builtin-test

# The packages installed in a VM (scripts/deb-vm-test).  Not part of
# `make check`: DKMS compiling the module inside the TCG VM takes longer
# than CI's budget allows next to the suite (testing.md).
check-packages: deps
	scripts/mkpki
	$(MAKE) all HNBTRE_ROOTS=$(BUILD)/pki/root.pem
	scripts/build-debs
	scripts/deb-vm-test

# `make check` uses the test PKI root so that the tests can sign manifests.
check: deps
	scripts/mkpki
	$(MAKE) all HNBTRE_ROOTS=$(BUILD)/pki/root.pem
	scripts/check

demo: deps
	scripts/mkpki
	$(MAKE) all HNBTRE_ROOTS=$(BUILD)/pki/root.pem
	scripts/demo

# Benchmarks (scripts/bench-*, Documentation/benchmarks.md): not tests,
# not in selftests/.  The gate's timing program is built with the rest.
GATE_BENCH := $(BUILD)/bin/hnbtre-gate-bench
gate-bench: $(GATE_BENCH)
$(GATE_BENCH): scripts/gate_bench.c kernel/uapi/linux/hnbtre.h
	@mkdir -p $(dir $@)
	$(CC) -O2 -g -Wall -Wextra -Werror -Ikernel/uapi -o $@ $<

bench: deps
	scripts/mkpki
	$(MAKE) all HNBTRE_ROOTS=$(BUILD)/pki/root.pem
	scripts/bench

# PREFIX, LIBDIR, INCLUDEDIR, BINDIR and RPATH as userspace/Makefile has them.
install: userspace strongswan
	$(MAKE) -C userspace O=$(BUILD) install
	$(MAKE) -C userspace/strongswan O=$(BUILD) install

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	-$(MAKE) -C userspace O=$(BUILD) clean
	rm -rf $(BUILD)
