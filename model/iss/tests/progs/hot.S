# The speed loops, forever, over a 4 KiB array in DRAM; $a0 (set by the host) chooses:
#   0: checksum and write back (per word: 2 loads/stores, 5 ALU, a branch) - store-heavy
#   1: checksum only (per word: a load, 5 ALU, a branch)
        .set noreorder
        .text
        .globl _start
_start:
        la    $s0, array
        addiu $s1, $zero, 1024
        bnez  $a0, ro_outer
        nop
rw_outer:
        move  $t0, $s0
        move  $t1, $s1
rw_inner:
        lw    $t2, 0($t0)
        addu  $v0, $v0, $t2
        xor   $v1, $v1, $v0
        sll   $t3, $v1, 3
        addu  $t3, $t3, $t2
        sw    $t3, 0($t0)
        addiu $t1, $t1, -1
        bnez  $t1, rw_inner
        addiu $t0, $t0, 4
        b     rw_outer
        nop
ro_outer:
        move  $t0, $s0
        move  $t1, $s1
ro_inner:
        lw    $t2, 0($t0)
        addu  $v0, $v0, $t2
        xor   $v1, $v1, $v0
        sll   $t3, $v1, 3
        addu  $v0, $t3, $t2
        addiu $t1, $t1, -1
        bnez  $t1, ro_inner
        addiu $t0, $t0, 4
        b     ro_outer
        nop
        .bss
        .align 4
array:  .space 4096
