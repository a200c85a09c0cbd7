# Every kind of load and store the observer (MipsIss::observe) attributes, twice: the first pass
# of a block runs on the stepper, the second on the main engine. A device read sits between two
# memory instructions. Labels o_* name each instruction for the test.
        .set noreorder
        .text
        .globl _start
_start:
        la    $s0, buf
        lui   $s2, 0x6000
        ori   $s2, $s2, 0x1000
        addiu $s1, $zero, 2
pass:
        .globl o_lw
o_lw:   lw    $t0, 0($s0)
        lw    $t5, 0($s2)            # PLAT_CTX (a device read: not observed)
        .globl o_sb
o_sb:   sb    $t0, 5($s0)
        .globl o_lwl
o_lwl:  lwl   $t1, 9($s0)
        .globl o_lwr
o_lwr:  lwr   $t1, 12($s0)
        .globl o_swl
o_swl:  swl   $t1, 17($s0)
        .globl o_swr
o_swr:  swr   $t1, 22($s0)
        .globl o_lh
o_lh:   lh    $t2, 2($s0)
        .globl o_ll
o_ll:   ll    $t3, 24($s0)
        addiu $t3, $t3, 1
        .globl o_sc
o_sc:   sc    $t3, 24($s0)
        .globl o_sc_other
o_sc_other:
        sc    $t3, 28($s0)           # no ll before it at this address: QEMU makes no access
        .globl o_sdc1
o_sdc1: sdc1  $f0, 8($s0)
        addiu $s1, $s1, -1
        bnez  $s1, pass
        nop
        sw    $zero, 0x28($s2)       # PLAT_HALT
spin:
        b     spin
        nop

        .data
        .align 3
        .globl buf
        .type buf, @object
        .size buf, 32
buf:
        .space 32
