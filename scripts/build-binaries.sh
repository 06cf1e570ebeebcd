#!/bin/sh
# build-binaries.sh -- rebuild the vtx firmware and bundled guests from their nasm sources.
#
#   scripts/build-binaries.sh              rebuild in place (firmware/bios.bin, guests/*/...)
#   scripts/build-binaries.sh --out DIR    write the binaries under DIR with the same relative
#                                          paths (used by the tests to compare with the
#                                          committed binaries)
#
# nasm -f bin output depends only on the sources and the nasm version (no timestamps), so a
# rebuild is byte-identical to the committed files.  The ELF guest carries a hand-written ELF
# header: no linker is involved.  Prints the relative path of every binary it wrote.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT
if [ "${1:-}" = "--out" ]; then
    [ -n "${2:-}" ] || { echo "usage: $0 [--out DIR]" >&2; exit 2; }
    mkdir -p "$2"
    OUT=$(cd "$2" && pwd)
elif [ -n "${1:-}" ]; then
    echo "usage: $0 [--out DIR]" >&2
    exit 2
fi

if ! command -v nasm >/dev/null 2>&1; then
    echo "nasm not found; install it first (Debian/Ubuntu: apt-get install -y nasm)" >&2
    exit 127
fi

# build DIR SOURCE OUTPUT [nasm flags...]: assemble ROOT/DIR/SOURCE into OUT/DIR/OUTPUT
build() {
    dir=$1; src=$2; bin=$3; shift 3
    mkdir -p "$OUT/$dir"
    (cd "$ROOT/$dir" && nasm -f bin -o "$OUT/$dir/$bin" "$@" "$src")
    echo "$dir/$bin"
}

build firmware          bios.asm       bios.bin
build guests/hello      hello.asm      hello.img
build guests/demo       demo.asm       demo.img
build guests/pmode      pmode.asm      pmode.img
build guests/multiboot  multiboot.asm  multiboot.elf
build guests/multiboot  multiboot-aout.asm  multiboot-aout.bin
build guests/devcheck   devcheck.asm   devcheck.img
build guests/exitstorm  exitstorm.asm  exitstorm.img
build guests/vmexit     vmexit.asm     vmexit.img
build guests/biostest   biostest.asm   biostest.img
