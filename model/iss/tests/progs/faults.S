# One fault per run, chosen by $a0 (the test sets it): 0 load from an unmapped address,
# 1 illegal instruction, 2 unaligned load, 3 break, 4 fetch from an unmapped address.
        .set noreorder
        .text
        .globl _start
_start:
        addiu $t0, $zero, 1
        beq   $a0, $t0, illegal
        addiu $t0, $zero, 2
        beq   $a0, $t0, unaligned
        addiu $t0, $zero, 3
        beq   $a0, $t0, brk
        addiu $t0, $zero, 4
        beq   $a0, $t0, fetch
        nop
        lui   $t1, 0x5000
        .globl fault_unmapped
fault_unmapped:
        lw    $t2, 0($t1)
        b     .
        nop
illegal:
        nop
        .globl fault_illegal
fault_illegal:
        .word 0x0000003f             # dsra32: MIPS64 only, reserved on a MIPS32 core
        b     .
        nop
unaligned:
        la    $t1, word
        .globl fault_unaligned
fault_unaligned:
        lw    $t2, 1($t1)
        b     .
        nop
brk:
        nop
        .globl fault_break
fault_break:
        break
        b     .
        nop
fetch:
        lui   $t1, 0x5000
        jr    $t1
        nop
        .data
        .align 2
word:   .word 0x11223344
