# The image's entry: every hardware thread starts here with the same registers. Each takes
# its own 64 KiB stack at the top of the DRAM window (by PLAT_CTX) and enters image_start(ctx),
# which never returns; a context number beyond the stacks halts the image.
#include "dfc/hal/iss_abi.hpp"

        .set    noreorder
        .section .text.boot, "ax", @progbits
        .globl  _start
        .type   _start, @function
        .ent    _start
_start:
        li      $t0, DFC_ISS_PLATFORM_BASE
        lw      $a0, DFC_ISS_PLAT_CTX($t0)
        sltiu   $t1, $a0, DFC_ISS_MAX_CONTEXTS
        bnez    $t1, 1f
        nop
        li      $t1, 3                      # iss::kHaltBadContext
        sw      $t1, DFC_ISS_PLAT_HALT($t0)
2:      b       2b
        nop
1:      sll     $t1, $a0, DFC_ISS_STACK_SHIFT
        li      $sp, DFC_ISS_STACK_TOP
        subu    $sp, $sp, $t1
        addiu   $sp, $sp, -32               # o32: the callee's argument save area, 8-aligned
        la      $gp, _gp
        move    $fp, $zero
        jal     image_start
        nop
3:      b       3b
        nop
        .end    _start
        .size   _start, . - _start
