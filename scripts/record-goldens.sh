#!/bin/sh
# record-goldens.sh -- record reference COM1 output of the bundled guests under QEMU.
#
#   scripts/record-goldens.sh            (re)write test/golden/<name>.serial and <name>.status
#   scripts/record-goldens.sh --check    run again and compare with the committed goldens
#   scripts/record-goldens.sh --check-vtx-bios
#                                        compare, booting the disk/floppy guests with our
#                                        firmware (-bios firmware/bios.bin) instead of SeaBIOS:
#                                        the outputs must be identical (multiboot guests skipped:
#                                        our firmware has no -kernel loader)
#
# <name>.serial holds the exact bytes the guest wrote to COM1 (QEMU -serial stdio);
# <name>.status holds QEMU's exit status: (v << 1) | 1 when the guest wrote v to the
# isa-debug-exit port 0xF4, 124 when the guest halted for good and `timeout` ended QEMU.
# The machine is QEMU's default `-M pc` (i440FX/PIIX3) with 128 MiB and no NIC; the firmware is
# QEMU's SeaBIOS except for biostest, which checks our firmware (-bios firmware/bios.bin).
# Paths are relative to the repository root (the multiboot command lines contain them).
# vmexit has no golden: its numbers are timings.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
GOLDEN=test/golden
CHECK=0
OURBIOS=0
case "${1:-}" in
    "") ;;
    --check) CHECK=1 ;;
    --check-vtx-bios) CHECK=1; OURBIOS=1 ;;
    *) echo "usage: $0 [--check | --check-vtx-bios]" >&2; exit 2 ;;
esac

command -v qemu-system-i386 >/dev/null 2>&1 || {
    echo "qemu-system-i386 not found (Debian/Ubuntu: apt-get install -y qemu-system-x86)" >&2
    exit 127
}

QEMU="qemu-system-i386 -M pc -m 128 -display none -net none -serial stdio -monitor none
      -device isa-debug-exit,iobase=0xf4,iosize=4 -no-reboot"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT INT TERM
FAILED=0

# run NAME SECONDS ARGS...: run QEMU, record COM1 bytes and the exit status
run() {
    name=$1; secs=$2; shift 2
    if [ "$OURBIOS" = 1 ]; then
        case "$*" in
            *-kernel*) echo "skip     $name (multiboot: needs QEMU's loader ROM)"; return 0 ;;
            *-bios*) ;;
            *) set -- -bios firmware/bios.bin "$@" ;;
        esac
    fi
    set +e
    # shellcheck disable=SC2086
    timeout "$secs" $QEMU "$@" </dev/null >"$TMP/$name.serial" 2>"$TMP/$name.stderr"
    status=$?
    set -e
    echo "$status" >"$TMP/$name.status"
    if [ "$CHECK" = 1 ]; then
        if cmp -s "$TMP/$name.serial" "$GOLDEN/$name.serial" && cmp -s "$TMP/$name.status" "$GOLDEN/$name.status"; then
            echo "ok       $name (status $status)"
        else
            echo "MISMATCH $name (status $status)"
            FAILED=1
        fi
    else
        mkdir -p "$GOLDEN"
        cp "$TMP/$name.serial" "$GOLDEN/$name.serial"
        cp "$TMP/$name.status" "$GOLDEN/$name.status"
        echo "recorded $name (status $status, $(wc -c <"$TMP/$name.serial") bytes)"
    fi
}

MB_APPEND="console=ttyS0 vtx=1"
MB_INITRD="guests/multiboot/mod1.txt first-arg,guests/multiboot/mod2.txt"

run hello          5  -drive file=guests/hello/hello.img,format=raw,if=ide,snapshot=on
run demo           5  -drive file=guests/demo/demo.img,format=raw,if=ide,snapshot=on
run pmode          20 -drive file=guests/pmode/pmode.img,format=raw,if=ide,snapshot=on
run multiboot      20 -kernel guests/multiboot/multiboot.elf -append "$MB_APPEND" -initrd "$MB_INITRD"
run multiboot-aout 20 -kernel guests/multiboot/multiboot-aout.bin -append "$MB_APPEND" -initrd "$MB_INITRD"
run devcheck       20 -drive file=guests/devcheck/devcheck.img,format=raw,if=floppy,snapshot=on
run exitstorm      20 -drive file=guests/exitstorm/exitstorm.img,format=raw,if=ide,snapshot=on
run biostest       20 -bios firmware/bios.bin -drive file=guests/biostest/biostest.img,format=raw,if=ide,snapshot=on

exit $FAILED
