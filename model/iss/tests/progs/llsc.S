# Every context adds ITERATIONS to one shared word with an ll/sc loop, counting its failed sc
# in $s4, on its own stack (4 KiB per context below stacks_top) where it keeps its context id,
# then writes that id back to PLAT_CONSOLE and halts.
        .set noreorder
        .equ ITERATIONS, 500
        .text
        .globl _start
_start:
        lui   $s0, 0x6000
        ori   $s0, $s0, 0x1000
        lw    $s1, 0($s0)            # PLAT_CTX
        la    $sp, stacks_top
        sll   $t0, $s1, 12
        subu  $sp, $sp, $t0
        addiu $sp, $sp, -16
        sw    $s1, 0($sp)
        la    $s2, counter
        addiu $s3, $zero, ITERATIONS
retry:
        ll    $t0, 0($s2)
        addiu $t0, $t0, 1
        .globl llsc_sc
llsc_sc:
        sc    $t0, 0($s2)
        beqz  $t0, failed
        nop
        addiu $s3, $s3, -1
        bnez  $s3, retry
        nop
        lw    $t1, 0($sp)
        sw    $t1, 0x24($s0)         # PLAT_CONSOLE: the id kept on this context's stack
        sw    $zero, 0x28($s0)       # PLAT_HALT
spin:
        b     spin
        nop
failed:
        b     retry
        addiu $s4, $s4, 1

        .data
        .globl counter
        .align 2
counter:
        .word 0
        .bss
        .align 4
        .space 0x8000
        .globl stacks_top
stacks_top:
