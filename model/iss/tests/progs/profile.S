# The instruction profile: _start calls leaf 100 times and busy once, then halts. Exact counts:
#   _start: 2 before the loop, 4 per iteration (jal + its nop, bne + its addiu) x 100, then
#           jal busy + nop, lui, sw: 2 + 400 + 4 = 406, 1 call (its first instruction, once)
#   leaf:   3 per call (addiu, jr, nop) x 100 = 300, 100 calls
#   busy:   1 + 50 x 2 + 2 = 103 (addiu; a 2-instruction loop 50 times; jr + nop), 1 call
# 809 in all, up to and including the store to PLAT_HALT.
        .set noreorder
        .text
        .globl _start
        .type _start, @function
_start:
        addiu $s0, $zero, 99
        addiu $v0, $zero, 0
again:
        jal   leaf
        nop
        bne   $s0, $zero, again
        addiu $s0, $s0, -1
        jal   busy
        nop
        lui   $t3, 0x6000
        sw    $zero, 0x1028($t3)
        .globl after_halt
after_halt:
        b     after_halt
        nop
        .size _start, .-_start

        .globl leaf
        .type leaf, @function
leaf:
        addiu $v0, $v0, 1
        jr    $ra
        nop
        .size leaf, .-leaf

        .globl busy
        .type busy, @function
busy:
        addiu $t0, $zero, 49
spin:
        bne   $t0, $zero, spin
        addiu $t0, $t0, -1
        jr    $ra
        nop
        .size busy, .-busy
