# Runs inside the guest (guest.run=/check.sh). Each check prints CHECK-OK or CHECK-FAIL with a
# name; the script's exit status is the number of failures.
failures=0
check() { # name, then a command that must succeed
    name=$1; shift
    if "$@"; then echo "CHECK-OK $name"; else echo "CHECK-FAIL $name"; failures=$((failures + 1)); fi
}
arg() { tr ' ' '\n' < /proc/cmdline | sed -n "s/^$1=//p"; }

expected_harts=$(arg check.harts)
check cpuinfo-harts [ "$(grep -c '^processor' /proc/cpuinfo)" = "$expected_harts" ]
check cpuinfo-isa grep -q '^isa.*rv64imafdc' /proc/cpuinfo
check cpuinfo-mmu grep -q '^mmu.*sv57' /proc/cpuinfo

check awk-float [ "$(awk 'BEGIN { printf "%.6f %.4f %d", atan2(1, 1) * 4, exp(1) * sqrt(2), 7 / 2 * 4 }')" = "3.141593 3.8442 14" ]
check awk-sum [ "$(seq 1 1000 | awk '{ s += $1 / 3 } END { printf "%.3f", s }')" = "166833.333" ]
check sort [ "$(printf 'pear\napple\nfig\nbanana\n' | sort | tr '\n' ' ')" = "apple banana fig pear " ]
check sort-numeric [ "$(seq 1 500 | sort -rn | head -n 1)" = "500" ]
check md5sum [ "$(printf 'rvisor' | md5sum | cut -d' ' -f1)" = "$(arg check.md5)" ]
seq 1 20000 > /tmp/numbers
check gzip-roundtrip sh -c 'gzip -c /tmp/numbers > /tmp/numbers.gz && gunzip -c /tmp/numbers.gz | cmp - /tmp/numbers'
check gzip-known [ "$(gunzip -c /tmp/numbers.gz | md5sum | cut -d' ' -f1)" = "$(arg check.numbers_md5)" ]

# dd reports its time through the vDSO, which reads the time CSR in U-mode (scounteren).
check user-time-csr sh -c 'dd if=/dev/zero of=/dev/null bs=1k count=1 2>&1 | grep -q copied'
echo "GUEST-DATE=$(date +%s)"

echo SLEEP-BEGIN
sleep 2
echo SLEEP-END

check smp-atomics /smp_atomics
exit $failures
