/*
 * context_x86_64.S — the goroutine context switch for x86-64 System V.
 *
 * void goc__ctx_switch(void **save_sp, void *to_sp)
 *   Pushes what the ABI says is callee-saved (rbx, rbp, r12-r15) and the FP
 *   control words (MXCSR, x87 CW), stores the stack pointer in *save_sp,
 *   loads to_sp and pops the same frame.  The caller-saved registers are
 *   already dead at the call.  rsp only ever points into a stack.
 *
 * Saved frame, from the saved sp up:
 *   +0 mxcsr (4) | x87 cw (2) | pad   +8 r15  +16 r14  +24 r13  +32 r12
 *   +40 rbx   +48 rbp   +56 return address
 * (trace.c walks parked stacks from +48/+56.)
 */
        .text
        .globl  goc__ctx_switch
        .type   goc__ctx_switch, @function
        .p2align 4
goc__ctx_switch:
        .cfi_startproc
        pushq   %rbp
        pushq   %rbx
        pushq   %r12
        pushq   %r13
        pushq   %r14
        pushq   %r15
        subq    $8, %rsp
        stmxcsr (%rsp)
        fnstcw  4(%rsp)
        movq    %rsp, (%rdi)
        movq    %rsi, %rsp
        /* Loading MXCSR / the x87 CW is slow (serializing on many cores)
         * and they almost never differ between goroutines: compare first. */
        movq    (%rdi), %rcx            /* the frame just saved = live values */
        movl    (%rsp), %eax
        cmpl    (%rcx), %eax
        je      1f
        ldmxcsr (%rsp)
1:      movzwl  4(%rsp), %eax
        cmpw    4(%rcx), %ax
        je      2f
        fldcw   4(%rsp)
2:      addq    $8, %rsp
        popq    %r15
        popq    %r14
        popq    %r13
        popq    %r12
        popq    %rbx
        popq    %rbp
        ret
        .cfi_endproc
        .size   goc__ctx_switch, .-goc__ctx_switch

/*
 * void *goc__ctx_init(void *lo, void *hi)
 *   Lays a frame at the top of [lo, hi) that goc__ctx_switch "returns" into
 *   goc__gstart with rsp 8 mod 16, as after a call; gstart's own return
 *   address is 0 and rbp 0, which ends frame-pointer walks.
 */
        .globl  goc__ctx_init
        .type   goc__ctx_init, @function
        .p2align 4
goc__ctx_init:
        .cfi_startproc
        movq    %rsi, %rax
        andq    $-16, %rax
        subq    $8, %rax                /* A: 8 mod 16, gstart's ret slot */
        movq    $0, (%rax)
        leaq    goc__gstart(%rip), %rcx
        movq    %rcx, -8(%rax)          /* switch's ret -> gstart */
        movq    $0, -16(%rax)           /* rbp */
        movq    $0, -24(%rax)           /* rbx */
        movq    $0, -32(%rax)           /* r12 */
        movq    $0, -40(%rax)           /* r13 */
        movq    $0, -48(%rax)           /* r14 */
        movq    $0, -56(%rax)           /* r15 */
        movl    $0x1F80, -64(%rax)      /* MXCSR default */
        movw    $0x037F, -60(%rax)      /* x87 CW default */
        movw    $0, -58(%rax)
        subq    $64, %rax
        ret
        .cfi_endproc
        .size   goc__ctx_init, .-goc__ctx_init

        .section .note.GNU-stack,"",@progbits
