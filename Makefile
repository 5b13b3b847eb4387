# SPDX-License-Identifier: MIT
# Mica: build the kernel, the user programs and the images; run, debug and test them.
# `make run` and `make check` are the two commands of the README's quick start.

MAKEFLAGS   += --no-builtin-rules --no-builtin-variables
.SUFFIXES:
comma       := ,
empty       :=
space       := $(empty) $(empty)

ARCH        := x86_64
BUILD       := build
CC          ?= gcc
LD          := ld
PYTHON      := python3

# QEMU, pinned in one place so that every boot test and benchmark uses the same machine.
QEMU        := qemu-system-x86_64
QEMU_CPU    ?= max
QEMU_MEM    ?= 128M
QEMU_FLAGS  := -machine q35 -cpu $(QEMU_CPU) -m $(QEMU_MEM) -display none -no-reboot \
               -serial mon:stdio -device isa-debug-exit,iobase=0xf4,iosize=0x04
export QEMU QEMU_FLAGS

WARN        := -Wall -Wextra -Werror
ifeq ($(CC),cc)
CC          := gcc
endif
V           ?= 0
Q           := $(if $(filter 1,$(V)),,@)
msg          = $(if $(filter 1,$(V)),,@printf '  %-6s %s\n' $(1) $(2))

# Every build step waits for tools/deps.sh, which installs missing Debian packages.
DEPS_OK     := $(BUILD)/.deps-ok
$(DEPS_OK): tools/deps.sh
	@tools/deps.sh
	@mkdir -p $(@D) && touch $@

# ---- kernel --------------------------------------------------------------------------
KERNEL      := $(BUILD)/kernel.elf
KARCH       := kernel/arch/$(ARCH)
KCFLAGS     := -std=c11 -O2 -g $(WARN) -ffreestanding -fno-stack-protector -fno-pic -fno-pie \
               -mcmodel=kernel -mno-red-zone -mno-mmx -mno-sse -mno-sse2 -mno-80387 \
               -fno-omit-frame-pointer -fno-asynchronous-unwind-tables -fcf-protection=none \
               -Iabi -Ikernel -I$(KARCH) -I$(KARCH)/include -MMD -MP
KSRCS       := $(wildcard kernel/*.c) $(wildcard $(KARCH)/*.c) $(wildcard $(KARCH)/*.S)
KCHECK_SRCS := kernel/invariants.c $(KARCH)/vspace_walk.c   # the checking kernel's alone
KOBJS       := $(patsubst %,$(BUILD)/%.o,$(filter-out $(KCHECK_SRCS),$(KSRCS)))

$(BUILD)/kernel/%.o: kernel/% | $(DEPS_OK)
	$(call msg,CC,$<)
	@mkdir -p $(@D)
	$(Q)$(CC) $(KCFLAGS) -c $< -o $@

$(KERNEL): $(KOBJS) $(KARCH)/kernel.ld
	$(call msg,LD,$@)
	$(Q)$(LD) -nostdlib -z max-page-size=0x1000 -z noexecstack --build-id=none \
	    -T $(KARCH)/kernel.ld -o $@ $(KOBJS)

# The checking kernel: the same sources with the invariant checks compiled in (docs/reliability.md).
KERNEL_CHECK := $(BUILD)/kernel-check.elf
KCHECK_OBJS  := $(patsubst %,$(BUILD)/kcheck/%.o,$(KSRCS))
$(BUILD)/kcheck/kernel/%.o: kernel/% | $(DEPS_OK)
	$(call msg,CC,$< [check])
	@mkdir -p $(@D)
	$(Q)$(CC) $(KCFLAGS) -DCONFIG_INVARIANTS=1 -c $< -o $@
$(KERNEL_CHECK): $(KCHECK_OBJS) $(KARCH)/kernel.ld
	$(call msg,LD,$@)
	$(Q)$(LD) -nostdlib -z max-page-size=0x1000 -z noexecstack --build-id=none \
	    -T $(KARCH)/kernel.ld -o $@ $(KCHECK_OBJS)

# ---- user programs (musl's libc.a for the C library) ---------------------------------
MUSL_INC    := /usr/include/x86_64-linux-musl
MUSL_LIB    := /usr/lib/x86_64-linux-musl
UCFLAGS      = -std=c11 -O2 -g $(WARN) -nostdinc -isystem $(MUSL_INC) \
               -isystem $(shell $(CC) -print-file-name=include) \
               -fno-stack-protector -fno-pie -fno-pic -fcf-protection=none \
               -Iabi -Ilib -MMD -MP
ULDFLAGS    := -nostdlib -static -Wl,--build-id=none -Wl,-z,noexecstack
# The runtime: crt0, then an archive, so a program links only the parts it uses. The ELF
# validator is the kernel's own (kernel/elf.c), compiled again for user space.
ULIB_OBJS   := $(patsubst %,$(BUILD)/lib/%.o,start.c invoke.c thread.c spawn.c elf.c services.c server.c \
                 mem.c chan_client.c chan_server.c console_chan.c)
ULIB        := $(BUILD)/lib/crt0.S.o $(BUILD)/lib/libmica.a
USER        := $(BUILD)/user

# compile-user(source, extra flags)
define compile-user
	$(call msg,CC,$(1))
	@mkdir -p $(@D)
	$(Q)$(CC) $(UCFLAGS) $(2) -c $(1) -o $@
endef
$(BUILD)/lib/%.o: lib/% | $(DEPS_OK)
	$(call compile-user,$<)
$(BUILD)/lib/elf.c.o: kernel/elf.c | $(DEPS_OK)
	$(call compile-user,$<,-Ikernel)
$(BUILD)/lib/libmica.a: $(ULIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^
$(BUILD)/servers/%.o: servers/% | $(DEPS_OK)
	$(call compile-user,$<)
$(BUILD)/tests/guest/%.o: tests/guest/% | $(DEPS_OK)
	$(call compile-user,$<)
$(BUILD)/bench/%.o: bench/% | $(DEPS_OK)
	$(call compile-user,$<)

# link-user(output, objects)
define link-user
	$(call msg,LD,$(1))
	@mkdir -p $(dir $(1))
	$(Q)$(CC) $(ULDFLAGS) -o $(1) $(BUILD)/lib/crt0.S.o $(2) $(BUILD)/lib/libmica.a \
	    $(MUSL_LIB)/libc.a
endef

$(USER)/root.elf: $(BUILD)/servers/root/main.c.o $(ULIB)
	$(call link-user,$@,$<)

# The system `make run` boots: init, its manifest, and the servers it names.
SERVERS     := names supervisor console timer shell
SYSTEM      := $(USER)/init.elf $(USER)/manifest $(SERVERS:%=$(USER)/%.elf) \
               $(USER)/mem_server.elf
$(USER)/init.elf: $(BUILD)/servers/init/main.c.o $(BUILD)/servers/init/manifest.c.o $(ULIB)
	$(call link-user,$@,$(filter %.c.o,$^))
define server-rule
$(USER)/$(1).elf: $(BUILD)/servers/$(1)/main.c.o $(ULIB)
	$$(call link-user,$$@,$$<)
endef
$(foreach s,$(SERVERS),$(eval $(call server-rule,$(s))))
$(USER)/manifest: servers/manifest
	@mkdir -p $(@D)
	$(Q)cp $< $@
# Manifests of the boot tests: each in a directory of its own, as a module named manifest.
TEST_MANIFESTS := $(patsubst tests/manifests/%.manifest,$(USER)/manifests/%/manifest,\
                    $(wildcard tests/manifests/*.manifest))
$(USER)/manifests/%/manifest: tests/manifests/%.manifest
	@mkdir -p $(@D)
	$(Q)cp $< $@

MEM_SERVER  := $(patsubst %,$(BUILD)/%.o,$(wildcard servers/mem/*.c))
$(USER)/mem_server.elf: $(MEM_SERVER) $(ULIB)
	$(call link-user,$@,$(MEM_SERVER))

GUEST_TESTS := basics survivor spin caps ipc ipc_server memory mapping mapper spawn irq chaos \
               crasher memsrv memclient chan chan_server protocols fuzz fuzz_workload \
               isolation isolation_peer conchan heapuser conend concheck
$(USER)/%.elf: $(BUILD)/tests/guest/%.c.o $(ULIB)
	$(call link-user,$@,$<)

FAULTS      := pf gp ud de bp nx kmem wtext
$(BUILD)/tests/guest/fault-%.o: tests/guest/fault.c | $(DEPS_OK)
	$(call compile-user,$<,-DFAULT_$(shell echo $* | tr a-z A-Z))
$(USER)/fault-%.elf: $(BUILD)/tests/guest/fault-%.o $(ULIB)
	$(call link-user,$@,$<)

BAD_ELF_STAMP := $(USER)/bad/.stamp
$(BAD_ELF_STAMP): tools/mkbadelf.py $(USER)/survivor.elf
	$(call msg,GEN,$(@D))
	$(Q)$(PYTHON) tools/mkbadelf.py $(USER)/survivor.elf $(USER)/bad
	@touch $@

$(USER)/bench.elf: $(BUILD)/bench/bench.c.o $(BUILD)/bench/chan_client.c.o $(ULIB)
	$(call link-user,$@,$(filter-out $(ULIB),$^))
$(USER)/bench_server.elf: $(BUILD)/bench/server.c.o $(ULIB)
	$(call link-user,$@,$<)
$(USER)/bench_chan_server.elf: $(BUILD)/bench/chan_server.c.o $(ULIB)
	$(call link-user,$@,$<)
# The system benchmarks: init boots bench/system.manifest with the servers and sysbench.
$(USER)/sysbench.elf: $(BUILD)/bench/sysbench.c.o $(ULIB)
	$(call link-user,$@,$<)
$(USER)/bench/manifest: bench/system.manifest
	@mkdir -p $(@D)
	$(Q)cp $< $@

USER_PROGS  := $(USER)/root.elf $(USER)/mem_server.elf $(GUEST_TESTS:%=$(USER)/%.elf) \
               $(FAULTS:%=$(USER)/fault-%.elf) $(USER)/bench.elf $(USER)/bench_server.elf \
               $(USER)/bench_chan_server.elf $(USER)/sysbench.elf $(USER)/bench/manifest \
               $(SYSTEM) $(TEST_MANIFESTS)

# ---- images --------------------------------------------------------------------------
ISO         := $(BUILD)/mica.iso
ISO_TEST    := $(BUILD)/mica-test.iso

# make-iso(output, kernel command line, modules)
define make-iso
	$(call msg,ISO,$(1))
	@rm -rf $(1).d && mkdir -p $(1).d/boot/grub
	@cp $(KERNEL) $(1).d/boot/kernel.elf
	@cp $(3) $(1).d/boot/
	@$(PYTHON) tools/grubcfg.py "$(2)" $(notdir $(3)) > $(1).d/boot/grub/grub.cfg
	$(Q)grub-mkrescue -o $(1) $(1).d 2>$(1).log || (cat $(1).log; exit 1)
	@rm -rf $(1).d $(1).log
endef

$(ISO): $(KERNEL) $(SYSTEM) tools/grubcfg.py
	$(call make-iso,$@,,$(SYSTEM))
$(ISO_TEST): $(KERNEL) $(USER)/root.elf tools/grubcfg.py
	$(call make-iso,$@,debugexit,$(USER)/root.elf)

# ---- commands ------------------------------------------------------------------------
.PHONY: all deps iso run run-iso debug check host-tests host-fuzz fuzz bench clean
all: $(KERNEL) $(KERNEL_CHECK) $(USER_PROGS) $(BAD_ELF_STAMP)

deps:
	@tools/deps.sh

iso: $(ISO)

# The modules `make run` boots, and the kernel command line (e.g. make run APPEND=debugexit).
RUN_MODULES ?= $(SYSTEM)
APPEND      ?=
run: all
	@echo "mica: serial console here; quit QEMU with Ctrl-A X"
	$(QEMU) $(QEMU_FLAGS) -kernel $(KERNEL) -append "$(APPEND)" \
	    -initrd "$(subst $(space),$(comma),$(strip $(RUN_MODULES)))"

run-iso: $(ISO)
	@echo "mica: serial console here; quit QEMU with Ctrl-A X"
	$(QEMU) $(QEMU_FLAGS) -cdrom $(ISO)

debug: all
	@echo "mica: QEMU waits for gdb on localhost:1234; in another terminal: gdb -x tools/gdbinit"
	$(QEMU) $(QEMU_FLAGS) -s -S -kernel $(KERNEL) -append "$(APPEND)" \
	    -initrd "$(subst $(space),$(comma),$(strip $(RUN_MODULES)))"

# ---- tests ---------------------------------------------------------------------------
HOSTCC      := gcc
HOST_CFLAGS := -std=c11 -g -O1 $(WARN) -fsanitize=address,undefined -fno-sanitize-recover=all \
               -Itests/host/include -Ikernel -Iabi -MMD -MP
HOST_TESTS  := printf bootinfo pmm elf cspace runqueue manifest
HOST_BIN    := $(BUILD)/host

$(HOST_BIN)/test_printf: kernel/printf.c
$(HOST_BIN)/test_bootinfo: kernel/multiboot.c
$(HOST_BIN)/test_pmm: kernel/pmm.c
$(HOST_BIN)/test_elf: kernel/elf.c
$(HOST_BIN)/test_cspace: kernel/cspace.c
$(HOST_BIN)/test_runqueue: kernel/runqueue.c
$(HOST_BIN)/test_manifest: servers/init/manifest.c
$(HOST_BIN)/test_%: tests/host/test_%.c tests/host/stubs.c | $(DEPS_OK)
	$(call msg,HOSTCC,$@)
	@mkdir -p $(@D)
	$(Q)$(HOSTCC) $(HOST_CFLAGS) -o $@ $(filter %.c,$^) -lcmocka

host-tests: $(HOST_TESTS:%=$(HOST_BIN)/test_%)

# libFuzzer targets of the same pure code, with clang (tests/host/fuzz/, docs/reliability.md).
FUZZCC      := clang
FUZZ_CFLAGS := -std=c11 -g -O1 $(WARN) -fsanitize=fuzzer,address,undefined \
               -fno-sanitize-recover=all -Itests/host/include -Ikernel -Iabi -MMD -MP
FUZZ_TARGETS := elf bootinfo cspace msg
$(HOST_BIN)/fuzz_elf: kernel/elf.c tests/host/stubs.c
$(HOST_BIN)/fuzz_bootinfo: kernel/multiboot.c tests/host/stubs.c
$(HOST_BIN)/fuzz_cspace: kernel/cspace.c tests/host/stubs.c
$(HOST_BIN)/fuzz_msg: tests/host/stubs.c
$(HOST_BIN)/fuzz_%: tests/host/fuzz/fuzz_%.c | $(DEPS_OK)
	$(call msg,FUZZCC,$@)
	@mkdir -p $(@D)
	$(Q)$(FUZZCC) $(FUZZ_CFLAGS) -o $@ $(filter %.c,$^)

host-fuzz: $(FUZZ_TARGETS:%=$(HOST_BIN)/fuzz_%)

check: all host-tests host-fuzz $(ISO_TEST)
	$(PYTHON) tests/check.py --build $(BUILD)

# ---- fuzzing: the long runs (docs/reliability.md); make check runs short ones ------------
FUZZ_CALLS  ?= 1000000
FUZZ_SECONDS ?= 60
fuzz: all host-fuzz
	$(PYTHON) tools/fuzz.py --build $(BUILD) --calls $(FUZZ_CALLS) $(if $(SEED),--seed $(SEED))
	$(PYTHON) tools/fuzz.py --build $(BUILD) --calls 100000 --check-invariants \
	    $(if $(SEED),--seed $(SEED))
	$(PYTHON) tools/fuzz.py --build $(BUILD) --chaos
	$(PYTHON) tools/hostfuzz.py --build $(BUILD) --seconds $(FUZZ_SECONDS)

# ---- benchmarks: figures, not tests (docs/benchmarks.md) -------------------------------
bench: all
	$(PYTHON) tools/bench.py --build $(BUILD)

clean:
	rm -rf $(BUILD)

.SECONDARY:
-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
