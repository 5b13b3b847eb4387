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
KOBJS       := $(patsubst %,$(BUILD)/%.o,$(KSRCS))

$(BUILD)/kernel/%.o: kernel/% | $(DEPS_OK)
	$(call msg,CC,$<)
	@mkdir -p $(@D)
	$(Q)$(CC) $(KCFLAGS) -c $< -o $@

$(KERNEL): $(KOBJS) $(KARCH)/kernel.ld
	$(call msg,LD,$@)
	$(Q)$(LD) -nostdlib -z max-page-size=0x1000 -z noexecstack --build-id=none \
	    -T $(KARCH)/kernel.ld -o $@ $(KOBJS)

# ---- user programs (musl's libc.a for the C library) ---------------------------------
MUSL_INC    := /usr/include/x86_64-linux-musl
MUSL_LIB    := /usr/lib/x86_64-linux-musl
UCFLAGS      = -std=c11 -O2 -g $(WARN) -nostdinc -isystem $(MUSL_INC) \
               -isystem $(shell $(CC) -print-file-name=include) \
               -fno-stack-protector -fno-pie -fno-pic -fcf-protection=none \
               -Iabi -Ilib -MMD -MP
ULDFLAGS    := -nostdlib -static -Wl,--build-id=none -Wl,-z,noexecstack
ULIB        := $(BUILD)/lib/crt0.S.o $(BUILD)/lib/start.c.o $(BUILD)/lib/invoke.c.o \
               $(BUILD)/lib/thread.c.o
USER        := $(BUILD)/user

# compile-user(source, extra flags)
define compile-user
	$(call msg,CC,$(1))
	@mkdir -p $(@D)
	$(Q)$(CC) $(UCFLAGS) $(2) -c $(1) -o $@
endef
$(BUILD)/lib/%.o: lib/% | $(DEPS_OK)
	$(call compile-user,$<)
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
	$(Q)$(CC) $(ULDFLAGS) -o $(1) $(ULIB) $(2) $(MUSL_LIB)/libc.a
endef

$(USER)/root.elf: $(BUILD)/servers/root/main.c.o $(ULIB)
	$(call link-user,$@,$<)

GUEST_TESTS := basics survivor spin caps ipc ipc_server memory fuzz fuzz_workload \
               isolation isolation_peer
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

$(USER)/bench.elf: $(BUILD)/bench/bench.c.o $(ULIB)
	$(call link-user,$@,$<)
$(USER)/bench_server.elf: $(BUILD)/bench/server.c.o $(ULIB)
	$(call link-user,$@,$<)

USER_PROGS  := $(USER)/root.elf $(GUEST_TESTS:%=$(USER)/%.elf) $(FAULTS:%=$(USER)/fault-%.elf) \
               $(USER)/bench.elf $(USER)/bench_server.elf

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

$(ISO): $(KERNEL) $(USER)/root.elf tools/grubcfg.py
	$(call make-iso,$@,,$(USER)/root.elf)
$(ISO_TEST): $(KERNEL) $(USER)/root.elf tools/grubcfg.py
	$(call make-iso,$@,debugexit,$(USER)/root.elf)

# ---- commands ------------------------------------------------------------------------
.PHONY: all deps iso run run-iso debug check host-tests host-fuzz fuzz bench clean
all: $(KERNEL) $(USER_PROGS) $(BAD_ELF_STAMP)

deps:
	@tools/deps.sh

iso: $(ISO)

# The modules `make run` boots, and the kernel command line (e.g. make run APPEND=debugexit).
RUN_MODULES ?= $(USER)/root.elf
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
HOST_TESTS  := printf bootinfo pmm elf cspace runqueue
HOST_BIN    := $(BUILD)/host

$(HOST_BIN)/test_printf: kernel/printf.c
$(HOST_BIN)/test_bootinfo: kernel/multiboot.c
$(HOST_BIN)/test_pmm: kernel/pmm.c
$(HOST_BIN)/test_elf: kernel/elf.c
$(HOST_BIN)/test_cspace: kernel/cspace.c
$(HOST_BIN)/test_runqueue: kernel/runqueue.c
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
	$(PYTHON) tools/hostfuzz.py --build $(BUILD) --seconds $(FUZZ_SECONDS)

# ---- benchmarks: figures, not tests (docs/benchmarks.md) -------------------------------
bench: all
	$(PYTHON) tools/bench.py --build $(BUILD)

clean:
	rm -rf $(BUILD)

.SECONDARY:
-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
