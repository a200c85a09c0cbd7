# One store instruction used for DRAM first and then for PLAT_WAIT: its block is not known to
# touch a device when the first wait happens there, so that stop is late (the block runs to
# its end); from then on the block is instruction-hooked and the stop is exact.
        .set noreorder
        .text
        .globl _start
_start:
        lui   $s0, 0x6000
        ori   $s0, $s0, 0x1000
        la    $a0, scratch
        jal   store_word             # DRAM: the block's first run
        nop
        addiu $a0, $s0, 0x20         # PLAT_WAIT
        jal   store_word             # late stop: resumes at the return address
        nop
        .globl after_call2
after_call2:
        jal   store_word             # exact stop: resumes right after the store
        nop
        sw    $zero, 0x28($s0)       # PLAT_HALT
spin:
        b     spin
        nop
store_word:
        sw    $a1, 0($a0)
        .globl after_store
after_store:
        addiu $v0, $v0, 1
        jr    $ra
        nop
        .data
        .align 2
scratch:
        .word 0x55555555
