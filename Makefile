# SPDX-License-Identifier: MIT
# Mica: build the kernel, the user programs and the images; run, debug and test them.
# `make run` and `make check` are the two commands of the README's quick start.

MAKEFLAGS   += --no-builtin-rules --no-builtin-variables
.SUFFIXES:

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

# ---- kernel --------------------------------------------------------------------------
KERNEL      := $(BUILD)/kernel.elf
KARCH       := kernel/arch/$(ARCH)
KCFLAGS     := -std=c11 -O2 -g $(WARN) -ffreestanding -fno-stack-protector -fno-pic -fno-pie \
               -mcmodel=kernel -mno-red-zone -mno-mmx -mno-sse -mno-sse2 -mno-80387 \
               -fno-omit-frame-pointer -fno-asynchronous-unwind-tables -fcf-protection=none \
               -Iabi -Ikernel -I$(KARCH) -I$(KARCH)/include -MMD -MP
KSRCS       := $(wildcard kernel/*.c) $(wildcard $(KARCH)/*.c) $(wildcard $(KARCH)/*.S)
KOBJS       := $(patsubst %,$(BUILD)/%.o,$(KSRCS))

$(BUILD)/kernel/%.o: kernel/%
	@mkdir -p $(@D)
	$(CC) $(KCFLAGS) -c $< -o $@

$(KERNEL): $(KOBJS) $(KARCH)/kernel.ld
	$(LD) -nostdlib -z max-page-size=0x1000 -z noexecstack --build-id=none \
	    -T $(KARCH)/kernel.ld -o $@ $(KOBJS)

# ---- user programs (musl's libc.a for the C library) ---------------------------------
MUSL_INC    := /usr/include/x86_64-linux-musl
MUSL_LIB    := /usr/lib/x86_64-linux-musl
UCFLAGS     := -std=c11 -O2 -g $(WARN) -nostdinc -isystem $(MUSL_INC) \
               -isystem $(shell $(CC) -print-file-name=include) \
               -fno-stack-protector -fno-pie -fno-pic -fcf-protection=none \
               -Iabi -Ilib -MMD -MP
ULDFLAGS    := -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-z,noexecstack
ULIB        := $(BUILD)/lib/crt0.S.o $(BUILD)/lib/start.c.o
USER        := $(BUILD)/user

$(BUILD)/lib/%.o $(BUILD)/servers/%.o $(BUILD)/tests/guest/%.o: UFLAGS = $(UCFLAGS)
$(BUILD)/lib/%.o: lib/%
	@mkdir -p $(@D)
	$(CC) $(UCFLAGS) -c $< -o $@
$(BUILD)/servers/%.o: servers/%
	@mkdir -p $(@D)
	$(CC) $(UCFLAGS) -c $< -o $@
$(BUILD)/tests/guest/%.o: tests/guest/%
	@mkdir -p $(@D)
	$(CC) $(UCFLAGS) -c $< -o $@

# link-user(output, objects)
define link-user
	@mkdir -p $(dir $(1))
	$(CC) $(ULDFLAGS) -o $(1) $(ULIB) $(2) $(MUSL_LIB)/libc.a
endef

$(USER)/root.elf: $(BUILD)/servers/root/main.c.o $(ULIB)
	$(call link-user,$@,$<)

GUEST_TESTS := basics survivor spin
$(USER)/%.elf: $(BUILD)/tests/guest/%.c.o $(ULIB)
	$(call link-user,$@,$<)

FAULTS      := pf gp ud de bp nx kmem wtext
$(BUILD)/tests/guest/fault-%.o: tests/guest/fault.c
	@mkdir -p $(@D)
	$(CC) $(UCFLAGS) -DFAULT_$(shell echo $* | tr a-z A-Z) -c $< -o $@
$(USER)/fault-%.elf: $(BUILD)/tests/guest/fault-%.o $(ULIB)
	$(call link-user,$@,$<)

BAD_ELF_STAMP := $(USER)/bad/.stamp
$(BAD_ELF_STAMP): tools/mkbadelf.py $(USER)/survivor.elf
	$(PYTHON) tools/mkbadelf.py $(USER)/survivor.elf $(USER)/bad
	@touch $@

USER_PROGS  := $(USER)/root.elf $(GUEST_TESTS:%=$(USER)/%.elf) $(FAULTS:%=$(USER)/fault-%.elf)

# ---- images --------------------------------------------------------------------------
ISO         := $(BUILD)/mica.iso
ISO_TEST    := $(BUILD)/mica-test.iso

# make-iso(output, kernel command line, modules)
define make-iso
	@rm -rf $(1).d && mkdir -p $(1).d/boot/grub
	cp $(KERNEL) $(1).d/boot/kernel.elf
	cp $(3) $(1).d/boot/
	$(PYTHON) tools/grubcfg.py "$(2)" $(notdir $(3)) > $(1).d/boot/grub/grub.cfg
	grub-mkrescue -o $(1) $(1).d 2>/dev/null
	@rm -rf $(1).d
endef

$(ISO): $(KERNEL) $(USER)/root.elf tools/grubcfg.py | deps
	$(call make-iso,$@,,$(USER)/root.elf)
$(ISO_TEST): $(KERNEL) $(USER)/root.elf tools/grubcfg.py | deps
	$(call make-iso,$@,debugexit,$(USER)/root.elf)

# ---- commands ------------------------------------------------------------------------
.PHONY: all deps iso run run-iso debug check host-tests clean
all: $(KERNEL) $(USER_PROGS) $(BAD_ELF_STAMP)

deps:
	@tools/deps.sh

iso: $(ISO)

run: all | deps
	$(QEMU) $(QEMU_FLAGS) -kernel $(KERNEL) -initrd $(USER)/root.elf

run-iso: $(ISO)
	$(QEMU) $(QEMU_FLAGS) -cdrom $(ISO)

debug: all | deps
	@echo "QEMU waits for gdb on :1234; in another terminal: gdb -x tools/gdbinit"
	$(QEMU) $(QEMU_FLAGS) -s -S -kernel $(KERNEL) -initrd $(USER)/root.elf

# ---- tests ---------------------------------------------------------------------------
HOSTCC      := gcc
HOST_CFLAGS := -std=c11 -g -O1 $(WARN) -fsanitize=address,undefined -fno-sanitize-recover=all \
               -Itests/host/include -Ikernel -Iabi -MMD -MP
HOST_TESTS  := printf bootinfo pmm elf
HOST_BIN    := $(BUILD)/host

$(HOST_BIN)/test_printf: kernel/printf.c
$(HOST_BIN)/test_bootinfo: kernel/multiboot.c
$(HOST_BIN)/test_pmm: kernel/pmm.c
$(HOST_BIN)/test_elf: kernel/elf.c
$(HOST_BIN)/test_%: tests/host/test_%.c tests/host/stubs.c | deps
	@mkdir -p $(@D)
	$(HOSTCC) $(HOST_CFLAGS) -o $@ $^ -lcmocka

host-tests: $(HOST_TESTS:%=$(HOST_BIN)/test_%)

check: all host-tests $(ISO_TEST) | deps
	$(PYTHON) tests/check.py --build $(BUILD)

clean:
	rm -rf $(BUILD)

.SECONDARY:
-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
