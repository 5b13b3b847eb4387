/* SPDX-License-Identifier: MIT */
/* Kernel entry and exit: interrupt and exception stubs, the syscall entry, the return to
 * user mode, idle, and the user-memory copy with its fault fixup.
 * From user mode the saved registers land in the current thread's struct arch_regs
 * (TSS.rsp0 / percpu regs_end point at its end); then the CPU's one kernel stack is used
 * from its top. Interrupts stay disabled in the kernel, except in idle. */
#include <arch/percpu.h>
#include <arch/regs.h>
#include <mica/syscall.h>

#define REGS_RIP        (17 * 8)
#define REGS_CS         (18 * 8)
#define REGS_RFLAGS     (19 * 8)
#define REGS_RSP        (20 * 8)

.macro PUSH_GPRS
    push    %rax
    push    %rbx
    push    %rcx
    push    %rdx
    push    %rsi
    push    %rdi
    push    %rbp
    push    %r8
    push    %r9
    push    %r10
    push    %r11
    push    %r12
    push    %r13
    push    %r14
    push    %r15
.endm

.macro POP_GPRS
    pop     %r15
    pop     %r14
    pop     %r13
    pop     %r12
    pop     %r11
    pop     %r10
    pop     %r9
    pop     %r8
    pop     %rbp
    pop     %rdi
    pop     %rsi
    pop     %rdx
    pop     %rcx
    pop     %rbx
    pop     %rax
.endm

    .text
/* One stub per vector: make the frame uniform (error code 0 where the CPU pushes none). */
    .balign 16
    .globl intr_stubs
intr_stubs:
vec = 0
.rept 256
    .balign 16
    .if (vec == 8 || (vec >= 10 && vec <= 14) || vec == 17 || vec == 21 || vec == 29 || vec == 30)
    .else
    push    $0
    .endif
    push    $vec
    jmp     intr_common
vec = vec + 1
.endr

intr_common:
    testb   $3, 24(%rsp)            /* saved CS: from user mode? */
    jz      1f
    swapgs
1:  cld                             /* interrupt gates keep the user's DF and AC flags: */
    testb   $1, smap_enabled(%rip)  /* C code needs DF clear, and AC set would lift SMAP */
    jz      2f
    clac
2:  PUSH_GPRS
    mov     %rsp, %rdi
    testb   $3, REGS_CS(%rsp)
    jz      3f
    mov     %gs:PERCPU_KSTACK_TOP, %rsp
    call    trap_from_user          /* never returns: leaves through kernel_exit() */
    ud2
3:  call    trap_from_kernel        /* returns when the interrupted code may go on */
    POP_GPRS
    add     $16, %rsp               /* vector and error code */
    iretq

/* syscall: rcx = user rip, r11 = user rflags, IF/DF/TF/AC cleared by FMASK. */
    .balign 16
    .globl syscall_entry
syscall_entry:
    swapgs
    mov     %rsp, %gs:PERCPU_USER_RSP
    mov     %gs:PERCPU_REGS_END, %rsp
    push    $SEL_UDATA
    push    %gs:PERCPU_USER_RSP
    push    %r11
    push    $SEL_UCODE
    push    %rcx
    push    $0
    push    $VECTOR_SYSCALL
    PUSH_GPRS
    mov     %rsp, %rbx              /* the current thread: its registers open its TCB */
    mov     %gs:PERCPU_KSTACK_TOP, %rsp
    testb   $1, fastpath_enabled(%rip)
    jz      2f
    mov     %rbx, %rdi
    cmp     $MICA_SYS_CALL, %rax    /* the IPC fast path (fastpath.c) returns only if it */
    je      1f                      /* left everything to the slow path */
    cmp     $MICA_SYS_REPLY_RECV, %rax
    je      3f
    cmp     $MICA_SYS_SEND, %rax
    je      4f
    cmp     $MICA_SYS_RECV, %rax
    jne     2f
    call    fastpath_recv
    jmp     2f
4:  call    fastpath_send
    jmp     2f
3:  call    fastpath_reply_recv
    jmp     2f
1:  call    fastpath_call
2:  mov     %rbx, %rdi
    call    syscall_from_user       /* (struct tcb *): never returns */
    ud2

/* noreturn void arch_return_to_user(struct arch_regs *regs): leave through sysret when the
 * thread entered by syscall (rcx and r11 are the ABI's scratch registers), else iret. */
    .globl arch_return_to_user
arch_return_to_user:
    mov     %rdi, %rsp
    cmpq    $VECTOR_SYSCALL, REGS_VECTOR(%rsp)
    je      1f
    POP_GPRS
    add     $16, %rsp
    swapgs
    iretq
1:  POP_GPRS
    mov     16(%rsp), %rcx          /* rip: canonical, since user space ends below the hole */
    mov     32(%rsp), %r11          /* rflags */
    mov     40(%rsp), %rsp
    swapgs
    sysretq

/* noreturn void arch_idle(void): wait for interrupts on an empty kernel stack. */
    .globl arch_idle
arch_idle:
    mov     %gs:PERCPU_KSTACK_TOP, %rsp
    xor     %ebp, %ebp
1:  sti
    hlt
    cli
    jmp     1b

/* int copy_user_bytes(void *dst, const void *src, size_t n): 0, or 1 after a fault.
 * The caller has checked that the user range lies below MICA_USER_TOP. */
    .globl copy_user_bytes
copy_user_bytes:
    mov     %rdx, %rcx
    testb   $1, smap_enabled(%rip)
    jz      1f
    stac
1:
copy_user_insn:                     /* a fault here resumes at copy_user_fault (.extable) */
    rep movsb
    testb   $1, smap_enabled(%rip)
    jz      2f
    clac
2:  xor     %eax, %eax
    ret
copy_user_fault:
    testb   $1, smap_enabled(%rip)
    jz      3f
    clac
3:  mov     $1, %eax
    ret

    .section .extable, "a"
    .quad   copy_user_insn, copy_user_fault
