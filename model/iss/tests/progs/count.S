# Exact instruction counting: 2 + 1000 x 3 + 2 = 3004 instructions up to and including the
# store to PLAT_HALT (code 0). The loop's addiu sits in the branch delay slot.
        .set noreorder
        .text
        .globl _start
_start:
        addiu $t0, $zero, 0
        addiu $t1, $zero, 1000
loop:
        addiu $t0, $t0, 1
        bne   $t0, $t1, loop
        addiu $t2, $t2, 3
        lui   $t3, 0x6000
        sw    $zero, 0x1028($t3)
        .globl after_halt
after_halt:
        b     after_halt
        nop
