# A bare-metal compute loop for measuring guest instructions per second: integer ALU work,
# a multiply, loads and stores to a small array and a branch, 16 instructions per iteration.
# Passes through HTIF (tohost = 1) when done.
    .section .text.init
    .globl _start
_start:
    li      t0, 50000000        # iterations (ITERATIONS in compute.sh must match)
    la      t1, buffer
    li      a0, 1
    li      a1, 3
loop:
    add     a0, a0, a1          # 1
    xor     a1, a1, a0          # 2
    slli    a2, a0, 3           # 3
    srli    a3, a1, 5           # 4
    mul     a4, a2, a3          # 5
    andi    a5, a0, 56          # 6
    add     a5, a5, t1          # 7
    ld      a6, 0(a5)           # 8
    add     a6, a6, a4          # 9
    sd      a6, 0(a5)           # 10
    or      a1, a1, a6          # 11
    sub     a0, a0, a3          # 12
    sltu    a7, a0, a1          # 13
    add     a0, a0, a7          # 14
    addi    t0, t0, -1          # 15
    bnez    t0, loop            # 16
    li      t2, 1
    la      t3, tohost
    sd      t2, 0(t3)
1:  j       1b

    .data
    .balign 64
buffer: .zero 64
    .section .tohost, "aw", @progbits
    .balign 64
    .globl tohost
tohost: .dword 0
    .size tohost, 8
    .balign 64
    .globl fromhost
fromhost: .dword 0
    .size fromhost, 8
