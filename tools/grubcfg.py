#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write a grub.cfg that boots Mica at once: grubcfg.py "<kernel command line>" module..."""
import sys

cmdline, modules = sys.argv[1], sys.argv[2:]
print("set timeout=0\nset default=0\nserial --unit=0 --speed=115200\n"
      "terminal_input serial\nterminal_output serial\n")
print('menuentry "Mica" {')
print(f"    multiboot2 /boot/kernel.elf {cmdline}".rstrip())
for m in modules:
    print(f"    module2 /boot/{m} /boot/{m}")
print("    boot\n}")
