/* SPDX-License-Identifier: MIT */
/* The entry point of every native Mica program: a clean frame chain and an aligned stack,
 * then mica_start() (start.c), which runs main(). The kernel passes one word in rdi. */
    .text
    .globl _start
_start:
    xor     %ebp, %ebp
    and     $-16, %rsp
    call    mica_start
    ud2
