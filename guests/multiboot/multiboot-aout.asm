; multiboot-aout.asm -- the a.out-kludge build of multiboot.asm (multiboot header flag 16:
; load addresses in the header, no ELF). Same guest, same output; see multiboot.asm.
; Build: nasm -f bin -o multiboot-aout.bin multiboot-aout.asm

%define AOUT
%include "multiboot.asm"
