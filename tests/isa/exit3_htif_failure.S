/* Reports "test case 3 failed" through HTIF ((3 << 1) | 1 in tohost): rvisor must exit with 3. */
    .section .text.init
    .globl _start
_start:
    la t0, tohost
    li t1, (3 << 1) | 1
    sd t1, 0(t0)
1:  j 1b

    .section .tohost, "aw", @progbits
    .balign 64
    .globl tohost
tohost: .dword 0
    .size tohost, 8
    .globl fromhost
fromhost: .dword 0
    .size fromhost, 8
