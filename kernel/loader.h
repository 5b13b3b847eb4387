/* SPDX-License-Identifier: MIT */
/* Loading ELF boot modules into new address spaces. */
#ifndef LOADER_H
#define LOADER_H

#include "bootinfo.h"

/* The task name of a module: the last path component of its first word, without ".elf". */
void module_name(const struct boot_module *m, char *name, size_t size);

/*
 * Load the ELF image of module m into a new address space with a stack: its root page
 * table in *root, its entry point in *entry. On failure everything taken is given back,
 * and *why says what was wrong with the image (or that memory ran out).
 */
int loader_load(const struct boot_module *m, paddr_t *root, vaddr_t *entry, const char **why);

/* Start the boot modules: the first as the root task with all authority (root.c), the
 * others, for now, as tasks with no capabilities but their own thread and spaces. */
void loader_start_boot_tasks(const struct bootinfo *bi);

#endif
