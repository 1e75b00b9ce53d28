/*
 * context_aarch64.S — the goroutine context switch for AArch64 (AAPCS64).
 *
 * void goc__ctx_switch(void **save_sp, void *to_sp)
 *   Saves the callee-saved x19-x28, the frame pointer x29, the link
 *   register x30, the low halves of v8-v15 (d8-d15) and FPCR in a 176-byte
 *   frame on the current stack, stores sp in *save_sp, loads to_sp, restores
 *   and returns through x30.
 *
 * Saved frame, from the saved sp up:
 *   +0 x19,x20 ... +64 x27,x28  +80 x29,x30  +96 d8..d15  +160 fpcr
 */
        .text
        .globl  goc__ctx_switch
        .type   goc__ctx_switch, %function
        .p2align 4
goc__ctx_switch:
        sub     sp, sp, #176
        stp     x19, x20, [sp, #0]
        stp     x21, x22, [sp, #16]
        stp     x23, x24, [sp, #32]
        stp     x25, x26, [sp, #48]
        stp     x27, x28, [sp, #64]
        stp     x29, x30, [sp, #80]
        stp     d8,  d9,  [sp, #96]
        stp     d10, d11, [sp, #112]
        stp     d12, d13, [sp, #128]
        stp     d14, d15, [sp, #144]
        mrs     x9, fpcr
        str     x9, [sp, #160]
        mov     x9, sp
        str     x9, [x0]
        mov     sp, x1
        ldr     x9, [sp, #160]
        msr     fpcr, x9
        ldp     x19, x20, [sp, #0]
        ldp     x21, x22, [sp, #16]
        ldp     x23, x24, [sp, #32]
        ldp     x25, x26, [sp, #48]
        ldp     x27, x28, [sp, #64]
        ldp     x29, x30, [sp, #80]
        ldp     d8,  d9,  [sp, #96]
        ldp     d10, d11, [sp, #112]
        ldp     d12, d13, [sp, #128]
        ldp     d14, d15, [sp, #144]
        add     sp, sp, #176
        ret
        .size   goc__ctx_switch, .-goc__ctx_switch

/* void *goc__ctx_init(void *lo, void *hi): a frame whose x30 is goc__gstart,
 * x29 = 0 (ends frame walks), FPCR 0 (round to nearest, no traps). */
        .globl  goc__ctx_init
        .type   goc__ctx_init, %function
        .p2align 4
goc__ctx_init:
        and     x2, x1, #~15
        sub     x2, x2, #176
        mov     x3, #0
        mov     x4, #0
1:      str     x3, [x2, x4]
        add     x4, x4, #8
        cmp     x4, #176
        b.lt    1b
        adrp    x5, goc__gstart
        add     x5, x5, :lo12:goc__gstart
        str     x5, [x2, #88]
        mov     x0, x2
        ret
        .size   goc__ctx_init, .-goc__ctx_init

        .section .note.GNU-stack,"",%progbits
