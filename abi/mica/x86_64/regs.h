/* SPDX-License-Identifier: MIT */
/* x86_64 thread registers in the order TCB read/write registers use (MR0 = rip, ...). */
#ifndef MICA_X86_64_REGS_H
#define MICA_X86_64_REGS_H

enum mica_reg {
    MICA_REG_RIP, MICA_REG_RSP, MICA_REG_RFLAGS,
    MICA_REG_RAX, MICA_REG_RBX, MICA_REG_RCX, MICA_REG_RDX, MICA_REG_RSI, MICA_REG_RDI,
    MICA_REG_RBP, MICA_REG_R8, MICA_REG_R9, MICA_REG_R10, MICA_REG_R11, MICA_REG_R12,
    MICA_REG_R13, MICA_REG_R14, MICA_REG_R15,
    MICA_REG_COUNT
};

/* The RFLAGS bits a thread may set: CF PF AF ZF SF TF DF OF AC ID. The kernel keeps IF set
 * and IOPL, NT, RF and VM clear. */
#define MICA_RFLAGS_USER        0x00240dd5UL

#endif
