/* SPDX-License-Identifier: MIT */
/* Boot tasks from boot modules. */
#ifndef LOADER_H
#define LOADER_H

struct bootinfo;

/* Start each boot module as a task; a malformed one is refused with a message. */
void loader_start_boot_tasks(const struct bootinfo *bi);

#endif
