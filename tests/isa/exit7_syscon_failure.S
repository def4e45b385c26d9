/* Reports failure code 7 through the syscon (0x3333 | code << 16): rvisor must exit with 7.
 * Checks the failure path end to end, so a harness that can only pass is caught. */
    .section .text.init
    .globl _start
_start:
    li t0, 0x00100000
    li t1, 0x00073333
    sw t1, 0(t0)
1:  j 1b

    .section .tohost, "aw", @progbits
    .balign 64
    .globl tohost
tohost: .dword 0
    .size tohost, 8
    .globl fromhost
fromhost: .dword 0
    .size fromhost, 8
