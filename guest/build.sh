#!/bin/bash
# guest/build.sh - build rvisor's reference RISC-V Linux guest from Debian 12
# (bookworm) packages: a Linux 6.1 kernel `Image` (Debian linux-source-6.1)
# and an `initramfs.cpio.gz` holding a static BusyBox (Debian busybox source
# package) and the /init described in guest/README.md.
#
# usage: guest/build.sh OUTDIR
#
# OUTDIR receives Image, initramfs.cpio.gz, kernel.config, busybox.config and
# SHA256SUMS. The files are built in a temporary directory, put together in
# OUTDIR.tmp and renamed to OUTDIR only when complete, so OUTDIR never holds a
# half-written guest (an existing OUTDIR is replaced).
#
# Runs on Debian 12 amd64 as root: it runs `apt-get update`, adds `deb-src`
# entries for bookworm when apt has none (for `apt-get source busybox`), and
# installs the cross compiler, linux-source-6.1 and the build tools.
#
# Reproducible: timestamps, build user/host, umask and locale are fixed, so
# with the package versions named in REF_LINUX / REF_BUSYBOX (in this script)
# the outputs are byte-identical to the reference build (REF_SHA256SUMS); the
# script says whether they are. Those versions are installed when apt still
# offers them, otherwise the newest ones are used (same guest, other hashes).
#
# environment:
#   JOBS=N            parallel make jobs (default: nproc)
#   GUEST_SKIP_APT=1  no apt-get at all (tools, linux-source-6.1 and a
#                     deb-src entry for busybox must already be there)
#   GUEST_NO_PIN=1    use the newest package versions, not the reference ones
#   GUEST_KEEP_WORK=1 keep the temporary build directory (path is printed)
#   TMPDIR            where the temporary build directory is made (needs ~2 GB)
#
# Takes about 10-15 minutes on 2 cores (most of it the kernel).
set -euo pipefail

usage() {
	sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}" >&2
	exit 2
}
die() { echo "build.sh: error: $*" >&2; exit 1; }
log() { printf '\n=== %s [%s]\n' "$*" "$(date -u +%H:%M:%S)"; }

[ $# -eq 1 ] || usage
case "$1" in -h | --help | "") usage ;; esac

# ------------------------------------------------------------ settings
# Package versions of the reference build and the hashes it gave.
REF_LINUX=6.1.192-2
REF_BUSYBOX=1:1.35.0-4+deb12u1
REF_SHA256SUMS='7fd0f9937583468970b3c850de00f4109c7abfc0815b117cbd45bfd54e48f039  Image
88d8b76c81b052fd5ca67d7b47b8e69c9b0fc37e52c99760a9a9dcfb7147769a  initramfs.cpio.gz
8eea8ceb3c2f8b233480e72ae2efd00128207bfe82d77406a189c3ee44399172  kernel.config
efa79ece83c515381ea4bd4c1dec02f0447afb0563a96bdd158778940448005d  busybox.config'

CROSS=riscv64-linux-gnu-
JOBS=${JOBS:-$(nproc)}
PACKAGES=(
	gcc-riscv64-linux-gnu g++-riscv64-linux-gnu libc6-dev-riscv64-cross
	binutils-riscv64-linux-gnu make gcc libc6-dev bc flex bison libssl-dev
	libelf-dev cpio gzip xz-utils dpkg-dev
)

# Fixed metadata so that repeated builds give identical files.
export SOURCE_DATE_EPOCH=1700000000
export KBUILD_BUILD_TIMESTAMP="2023-11-14 22:13:20 UTC"
export KBUILD_BUILD_USER=guest KBUILD_BUILD_HOST=guestbuild KBUILD_BUILD_VERSION=1
export LC_ALL=C TZ=UTC
umask 022

# Absolute OUTDIR (its parent is created; trailing slashes dropped).
out_arg=$1
while [ "${out_arg%/}" != "$out_arg" ] && [ "$out_arg" != / ]; do out_arg=${out_arg%/}; done
[ "$out_arg" != / ] || die "OUTDIR must not be /"
mkdir -p "$(dirname "$out_arg")"
OUT="$(cd "$(dirname "$out_arg")" && pwd)/$(basename "$out_arg")"
OUT_TMP=$OUT.tmp

WORK=$(mktemp -d "${TMPDIR:-/tmp}/rvisor-guest.XXXXXX")
cleanup() {
	local rc=$?
	if [ "${GUEST_KEEP_WORK:-0}" = 1 ]; then
		echo "build directory kept: $WORK" >&2
	else
		rm -rf "$WORK"
	fi
	if [ $rc -ne 0 ]; then
		rm -rf "$OUT_TMP"
		echo "build.sh: failed (exit $rc); $OUT left unchanged" >&2
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

T_START=$(date +%s)

# ------------------------------------------------------------ packages
# Make sure apt knows source packages for bookworm: copy each Debian bookworm
# `deb` entry as a `deb-src` entry (same mirror), or use deb.debian.org.
ensure_deb_src() {
	local list=/etc/apt/sources.list.d/rvisor-guest-deb-src.list
	# shellcheck disable=SC2016 # $(FIELD) is apt's format syntax, not bash's
	if apt-get indextargets --format '$(CODENAME)' 'Identifier: Sources' 2>/dev/null |
		grep -q '^bookworm'; then
		return 0
	fi
	local keyring=/usr/share/keyrings/debian-archive-keyring.gpg opt=
	[ -f "$keyring" ] && opt="[signed-by=$keyring] "
	local entries
	# shellcheck disable=SC2016
	entries=$(apt-get indextargets --format '$(ORIGIN) $(CODENAME) $(REPO_URI) $(RELEASE) $(COMPONENT)' \
		'Identifier: Packages' 2>/dev/null |
		awk -v opt="$opt" '$1 == "Debian" && $2 ~ /^bookworm/ { print "deb-src " opt $3 " " $4 " " $5 }' |
		sort -u)
	if [ -z "$entries" ]; then
		entries="deb-src ${opt}http://deb.debian.org/debian bookworm main
deb-src ${opt}http://deb.debian.org/debian bookworm-updates main
deb-src ${opt}http://deb.debian.org/debian-security bookworm-security main"
	fi
	echo "adding deb-src entries for bookworm to $list:" >&2
	printf '# Added by rvisor guest/build.sh (for "apt-get source busybox").\n%s\n' "$entries" |
		tee "$list" >&2
}

if [ "${GUEST_SKIP_APT:-0}" != 1 ]; then
	[ "$(id -u)" = 0 ] || die "must run as root (it uses apt-get); or set GUEST_SKIP_APT=1 with everything installed"
	command -v apt-get >/dev/null || die "apt-get not found: this script needs Debian 12 (bookworm)"
	codename=$(sed -n 's/^VERSION_CODENAME=//p' /etc/os-release 2>/dev/null || true)
	[ "$codename" = bookworm ] || echo "note: this is '$codename', not Debian 12 (bookworm); the build may fail" >&2
	log "apt: sources and install"
	ensure_deb_src
	export DEBIAN_FRONTEND=noninteractive
	apt-get update
	linux_pkg=linux-source-6.1
	if [ "${GUEST_NO_PIN:-0}" != 1 ] && apt-cache show "linux-source-6.1=$REF_LINUX" >/dev/null 2>&1; then
		linux_pkg="linux-source-6.1=$REF_LINUX"
	fi
	apt-get install -y --no-install-recommends --allow-downgrades "${PACKAGES[@]}" "$linux_pkg"
fi
for t in "${CROSS}gcc" "${CROSS}readelf" make gcc flex bison bc cpio gzip xz dpkg-source dpkg-parsechangelog; do
	command -v "$t" >/dev/null || die "missing tool: $t"
done
[ -f /usr/src/linux-source-6.1.tar.xz ] || die "/usr/src/linux-source-6.1.tar.xz missing (install linux-source-6.1)"
LINUX_VER=$(dpkg-query -W -f '${Version}' linux-source-6.1)
[ "$LINUX_VER" = "$REF_LINUX" ] ||
	echo "note: linux-source-6.1 is $LINUX_VER (reference build used $REF_LINUX): hashes will differ" >&2

# ------------------------------------------------------------ kernel config
# Applied on top of "make tinyconfig"; olddefconfig fills in the rest.
cat > "$WORK/guest.config" <<'EOF'
CONFIG_ARCH_RV64I=y
CONFIG_64BIT=y
CONFIG_MMU=y
CONFIG_SMP=y
CONFIG_NR_CPUS=32
CONFIG_RISCV_ISA_C=y
CONFIG_FPU=y
CONFIG_RISCV_SBI_V01=y
# CONFIG_RISCV_BOOT_SPINWAIT is not set
CONFIG_SOC_VIRT=y
CONFIG_SIFIVE_PLIC=y
CONFIG_RISCV_TIMER=y
CONFIG_HZ_250=y
CONFIG_NO_HZ_IDLE=y
CONFIG_HIGH_RES_TIMERS=y
# CONFIG_PCI is not set
# CONFIG_MODULES is not set
CONFIG_PRINTK=y
CONFIG_PRINTK_TIME=y
CONFIG_BUG=y
CONFIG_MULTIUSER=y
CONFIG_FUTEX=y
CONFIG_EPOLL=y
CONFIG_SIGNALFD=y
CONFIG_TIMERFD=y
CONFIG_EVENTFD=y
CONFIG_SHMEM=y
CONFIG_AIO=y
CONFIG_POSIX_TIMERS=y
CONFIG_FILE_LOCKING=y
CONFIG_SYSVIPC=y
CONFIG_FHANDLE=y
CONFIG_PROC_SYSCTL=y
CONFIG_KALLSYMS=y
CONFIG_BLK_DEV_INITRD=y
CONFIG_RD_GZIP=y
CONFIG_BINFMT_ELF=y
CONFIG_BINFMT_SCRIPT=y
CONFIG_PROC_FS=y
CONFIG_SYSFS=y
CONFIG_TMPFS=y
CONFIG_DEVTMPFS=y
CONFIG_DEVTMPFS_MOUNT=y
CONFIG_INOTIFY_USER=y
CONFIG_TTY=y
CONFIG_UNIX98_PTYS=y
# CONFIG_LEGACY_PTYS is not set
# CONFIG_VT is not set
CONFIG_SERIAL_8250=y
CONFIG_SERIAL_8250_CONSOLE=y
CONFIG_SERIAL_OF_PLATFORM=y
CONFIG_SERIAL_EARLYCON=y
CONFIG_SERIAL_EARLYCON_RISCV_SBI=y
CONFIG_HVC_RISCV_SBI=y
CONFIG_VIRTIO_MENU=y
CONFIG_VIRTIO=y
CONFIG_VIRTIO_MMIO=y
CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES=y
CONFIG_BLOCK=y
CONFIG_BLK_DEV=y
CONFIG_VIRTIO_BLK=y
CONFIG_VIRTIO_CONSOLE=y
CONFIG_HW_RANDOM=y
CONFIG_HW_RANDOM_VIRTIO=y
CONFIG_NET=y
CONFIG_INET=y
CONFIG_UNIX=y
CONFIG_PACKET=y
# CONFIG_IPV6 is not set
CONFIG_NETDEVICES=y
CONFIG_NET_CORE=y
CONFIG_VIRTIO_NET=y
CONFIG_EXT4_FS=y
CONFIG_NETWORK_FILESYSTEMS=y
CONFIG_NET_9P=y
CONFIG_NET_9P_VIRTIO=y
CONFIG_9P_FS=y
CONFIG_RTC_CLASS=y
CONFIG_RTC_DRV_GOLDFISH=y
CONFIG_POWER_RESET=y
CONFIG_POWER_RESET_SYSCON=y
CONFIG_POWER_RESET_SYSCON_POWEROFF=y
CONFIG_REBOOT_MODE=y
CONFIG_SYSCON_REBOOT_MODE=y
CONFIG_MFD_SYSCON=y
# Memory given back to the host: virtio-balloon with free page reporting.
CONFIG_VIRTIO_BALLOON=y
CONFIG_PAGE_REPORTING=y
# Host <-> guest sockets for agents: virtio-vsock.
CONFIG_VSOCKETS=y
CONFIG_VIRTIO_VSOCKETS=y
# Sharing host directories (container root filesystems): virtio-fs (FUSE) and 9p,
# read-only images (EROFS) and overlays.
CONFIG_FUSE_FS=y
CONFIG_VIRTIO_FS=y
CONFIG_OVERLAY_FS=y
CONFIG_MISC_FILESYSTEMS=y
CONFIG_EROFS_FS=y
# Resource limits for processes in the guest (cgroup v2).
CONFIG_CGROUPS=y
CONFIG_MEMCG=y
CONFIG_CGROUP_PIDS=y
EOF

# Fail if olddefconfig dropped or changed any line of the fragment.
check_fragment() { # <.config> <fragment>
	local cfg=$1 frag=$2 line sym bad=0
	while IFS= read -r line; do
		case "$line" in
		"# CONFIG_"*" is not set")
			sym=${line#\# }
			sym=${sym%% *}
			if grep -q "^$sym=" "$cfg"; then echo "config: $sym should be off" >&2; bad=1; fi
			;;
		CONFIG_*=*)
			if ! grep -qxF "$line" "$cfg"; then echo "config: want $line" >&2; bad=1; fi
			;;
		esac
	done < "$frag"
	return $bad
}

# ------------------------------------------------------------ kernel
log "kernel: unpack linux-source-6.1 $LINUX_VER"
mkdir -p "$WORK/linux" "$WORK/kbuild"
tar -xf /usr/src/linux-source-6.1.tar.xz -C "$WORK/linux" --strip-components=1
KMAKE=(make -C "$WORK/linux" O="$WORK/kbuild" ARCH=riscv CROSS_COMPILE="$CROSS")

log "kernel: configure (tinyconfig + guest fragment)"
"${KMAKE[@]}" -s tinyconfig
"$WORK/linux/scripts/kconfig/merge_config.sh" -m -O "$WORK/kbuild" \
	"$WORK/kbuild/.config" "$WORK/guest.config" >/dev/null
"${KMAKE[@]}" -s olddefconfig
check_fragment "$WORK/kbuild/.config" "$WORK/guest.config" || die "kernel config fragment not applied"

log "kernel: build Image (-j$JOBS)"
t0=$(date +%s)
"${KMAKE[@]}" -j"$JOBS" Image
echo "kernel build: $(($(date +%s) - t0)) s"

# ------------------------------------------------------------ busybox
log "busybox: apt-get source"
bb_pkg=busybox
if [ "${GUEST_NO_PIN:-0}" != 1 ] && apt-cache showsrc busybox 2>/dev/null | grep -qxF "Version: $REF_BUSYBOX"; then
	bb_pkg="busybox=$REF_BUSYBOX"
fi
mkdir -p "$WORK/bbsrc"
(cd "$WORK/bbsrc" && apt-get source "$bb_pkg") ||
	die "apt-get source $bb_pkg failed: apt needs a 'deb-src' entry for bookworm"
BB_SRC=
for d in "$WORK"/bbsrc/busybox-*/; do [ -d "$d" ] && BB_SRC=${d%/} && break; done
[ -n "$BB_SRC" ] || die "no busybox source tree in $WORK/bbsrc"
BB_VER=$(cd "$BB_SRC" && dpkg-parsechangelog -S Version)
[ "$BB_VER" = "$REF_BUSYBOX" ] ||
	echo "note: busybox source is $BB_VER (reference build used $REF_BUSYBOX): hashes will differ" >&2

log "busybox: configure (defconfig + static) and build (-j$JOBS)"
mkdir -p "$WORK/bbbuild"
BMAKE=(make -C "$BB_SRC" O="$WORK/bbbuild" CROSS_COMPILE="$CROSS")
"${BMAKE[@]}" -s defconfig >/dev/null
sed -i \
	-e 's|^# CONFIG_STATIC is not set|CONFIG_STATIC=y|' \
	-e "s|^CONFIG_CROSS_COMPILER_PREFIX=.*|CONFIG_CROSS_COMPILER_PREFIX=\"$CROSS\"|" \
	"$WORK/bbbuild/.config"
(set +o pipefail; yes '' | "${BMAKE[@]}" -s oldconfig >/dev/null)
grep -qx 'CONFIG_STATIC=y' "$WORK/bbbuild/.config" || die "busybox: CONFIG_STATIC not set"
t0=$(date +%s)
make -C "$WORK/bbbuild" -j"$JOBS" BB_EXTRA_VERSION="Debian $BB_VER" busybox
echo "busybox build: $(($(date +%s) - t0)) s"
elf_head=$(od -An -tx1 -N20 "$WORK/bbbuild/busybox" | tr -d ' \n')
case "$elf_head" in 7f454c46020101*f300*) ;; *) die "busybox is not a riscv64 ELF" ;; esac
if "${CROSS}readelf" -l "$WORK/bbbuild/busybox" | grep -q INTERP; then die "busybox is not static"; fi

# ------------------------------------------------------------ initramfs
log "initramfs: assemble"
ROOT=$WORK/rootfs
mkdir -p "$ROOT"
make -C "$WORK/bbbuild" -s BB_EXTRA_VERSION="Debian $BB_VER" install CONFIG_PREFIX="$ROOT" >/dev/null
rm -f "$ROOT/linuxrc"
mkdir -p "$ROOT"/{dev,proc,sys,tmp,mnt,root,etc/guest,run,var}

# /init: prints GUEST-BOOT-OK, then acts on guest.cmd= / guest.run= (see
# guest/README.md) or starts the interactive shell.
cat > "$ROOT/init" <<'EOF'
#!/bin/sh
# /init of the RISC-V test guest initramfs (busybox ash).
# Kernel command line conventions (read from /proc/cmdline):
#   guest.cmd=poweroff  -> print marker, then "poweroff -f"
#   guest.cmd=reboot    -> print marker, then "reboot -f"
#   guest.run=<path>    -> print marker, run "sh <path>", print GUEST-RUN-EXIT=<rc>, then "poweroff -f"
#   (none of these)     -> print marker, then an interactive shell on the console
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
export HOME=/root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
echo GUEST-BOOT-OK
gcmd=
grun=
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	guest.cmd=*) gcmd=${arg#guest.cmd=} ;;
	guest.run=*) grun=${arg#guest.run=} ;;
	esac
done
case "$gcmd" in
poweroff) poweroff -f ;;
reboot) reboot -f ;;
esac
if [ -n "$grun" ]; then
	if [ -f "$grun" ]; then
		sh "$grun"
		echo "GUEST-RUN-EXIT=$?"
	else
		echo "GUEST-RUN-EXIT=127 ($grun not found)"
	fi
	poweroff -f
fi
hostname guest
while true; do
	setsid cttyhack sh -l
	echo "shell exited; starting a new one"
done
EOF

# Built-in example for guest.run=/etc/guest/smoke.sh.
cat > "$ROOT/etc/guest/smoke.sh" <<'EOF'
#!/bin/sh
# Built-in example for guest.run=/etc/guest/smoke.sh: quick userland sanity checks.
set -e
uname -a
grep -E '^(hart|isa|mmu)' /proc/cpuinfo | head -n 3
echo "cpus online: $(cat /sys/devices/system/cpu/online)"
echo "memory: $(grep MemTotal /proc/meminfo)"
echo "sum: $(seq 1 1000 | awk '{s+=$1} END {print s}')"
echo "sha256: $(echo hello | sha256sum | cut -c1-16)"
dd if=/dev/zero of=/tmp/zero bs=1024 count=1024 2>/dev/null
test "$(wc -c < /tmp/zero)" -eq 1048576
ls /dev | tr '\n' ' '; echo
echo GUEST-SMOKE-OK
EOF
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$ROOT/etc/passwd"
printf 'root:x:0:\n' > "$ROOT/etc/group"
printf 'export PS1="guest# "\n' > "$ROOT/etc/profile"
chmod 0755 "$ROOT/init" "$ROOT/etc/guest/smoke.sh"
find "$ROOT" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

# File list for the kernel's gen_init_cpio: fixed owner (0:0), sorted, plus
# the device nodes the kernel needs before devtmpfs is mounted.
LIST=$WORK/initramfs.list
{
	echo "nod /dev/console 0600 0 0 c 5 1"
	echo "nod /dev/null 0666 0 0 c 1 3"
	(cd "$ROOT" && find . -mindepth 1 | LC_ALL=C sort) | while IFS= read -r p; do
		f="$ROOT/${p#./}"
		p=${p#.}
		mode=$(stat -c %a "$f")
		if [ -L "$f" ]; then
			echo "slink $p $(readlink "$f") 0777 0 0"
		elif [ -d "$f" ]; then
			echo "dir $p 0$mode 0 0"
		else
			echo "file $p $f 0$mode 0 0"
		fi
	done
} > "$LIST"
"$WORK/kbuild/usr/gen_init_cpio" -t "$SOURCE_DATE_EPOCH" "$LIST" | gzip -n -9 > "$WORK/initramfs.cpio.gz"

# ------------------------------------------------------------ outputs
log "outputs -> $OUT"
rm -rf "$OUT_TMP"
mkdir -p "$OUT_TMP"
cp "$WORK/kbuild/arch/riscv/boot/Image" "$OUT_TMP/Image"
cp "$WORK/initramfs.cpio.gz" "$OUT_TMP/initramfs.cpio.gz"
cp "$WORK/kbuild/.config" "$OUT_TMP/kernel.config"
cp "$WORK/bbbuild/.config" "$OUT_TMP/busybox.config"
(cd "$OUT_TMP" && sha256sum Image initramfs.cpio.gz kernel.config busybox.config > SHA256SUMS)
if [ -e "$OUT" ]; then
	old=$(mktemp -d "$OUT.old.XXXXXX")
	mv -T "$OUT" "$old"
	mv -T "$OUT_TMP" "$OUT"
	rm -rf "$old"
else
	mv -T "$OUT_TMP" "$OUT"
fi

cat "$OUT/SHA256SUMS"
echo "linux-source-6.1 $LINUX_VER, busybox $BB_VER, $("${CROSS}gcc" --version | head -n1)"
if [ "$(cat "$OUT/SHA256SUMS")" = "$REF_SHA256SUMS" ]; then
	echo "SHA256SUMS: identical to the reference build"
else
	echo "SHA256SUMS: differ from the reference build (expected only with other package versions)"
fi
echo "guest built in $(($(date +%s) - T_START)) s: $OUT"
