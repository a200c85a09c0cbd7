# Device accesses reach the callback with the context, address, value and size; PLAT_WAIT
# stores end the slice right after the store, including one in a branch delay slot.
        .set noreorder
        .text
        .globl _start
_start:
        lui   $s0, 0x6000
        ori   $s0, $s0, 0x1000
        lw    $s1, 0($s0)            # PLAT_CTX
        lui   $t0, 0x1234
        ori   $t0, $t0, 0x5678
        sw    $t0, 0x24($s0)         # PLAT_CONSOLE, word
        sb    $t0, 0x24($s0)         # byte: 0x78
        sh    $t0, 0x26($s0)         # halfword: 0x5678
        sw    $zero, 0x20($s0)       # PLAT_WAIT
        .globl after_wait1
after_wait1:
        addiu $s2, $s1, 100
        addiu $s3, $zero, 7
        sw    $s3, 0x20($s0)         # PLAT_WAIT again, mid-block
        .globl after_wait2
after_wait2:
        addiu $s4, $zero, 9
        b     after_slot
        sw    $zero, 0x20($s0)       # PLAT_WAIT in the branch delay slot
        addiu $s5, $zero, 1          # never runs
        .globl after_slot
after_slot:
        addiu $s6, $zero, 2
        sw    $s6, 0x28($s0)         # PLAT_HALT, code 2
spin:
        b     spin
        nop
