; demo.asm -- vtx "demo" guest: what `npx vtx run` boots when no image is given.
;
; Load protocol: boot image (floppy or hard disk) through the BIOS; boot32.inc loads the rest
; with int 13h and enters 32-bit protected mode.  The guest then tours the usual VM exits:
; CPUID (vendor string), port I/O (COM1 itself, CMOS), paging (CR0/CR3 writes; linear 0x400000
; mapped to physical 0x100000), and HLT woken five times by the PIT (IRQ0 through the 8259),
; printing a line per step on COM1.  It ends with CLI; HLT -- halted for good (vtx exits 0;
; QEMU keeps running until killed, hence golden status 124).
; Build: nasm -f bin -o demo.img demo.asm

        org 0x7C00
%include "../include/boot32.inc"

PD_ADDR  equ 0x20000
PT0_ADDR equ 0x21000
PT1_ADDR equ 0x22000

        bits 32
main32:
        call serial_init32
        mov esi, s_banner
        call puts32
        mov esi, s_pm
        call puts32

        ; CPUID vendor
        xor eax, eax
        cpuid
        mov [vendor], ebx
        mov [vendor + 4], edx
        mov [vendor + 8], ecx
        mov esi, s_cpuid
        call puts32
        mov esi, vendor
        mov ecx, 12
        call putsn32
        call crlf32

        ; CMOS: equipment byte 0x14 bit 1 = x87, base memory 0x15/0x16
        mov al, 0x16
        out 0x70, al
        in al, 0x71
        mov ah, al
        mov al, 0x15
        out 0x70, al
        in al, 0x71
        movzx eax, ax
        mov esi, s_cmos
        call puts32
        call putdec32
        mov esi, s_kib
        call puts32

        ; paging: identity 0-4 MiB, 0x400000 -> 0x100000
        mov dword [0x100000], 0x7654321
        mov edi, PD_ADDR
        mov ecx, 3 * 1024
        xor eax, eax
        rep stosd
        mov dword [PD_ADDR], PT0_ADDR | 3
        mov dword [PD_ADDR + 4], PT1_ADDR | 3
        mov edi, PT0_ADDR
        mov eax, 3
        mov ecx, 1024
.pt:    stosd
        add eax, 0x1000
        loop .pt
        mov dword [PT1_ADDR], 0x100000 | 3
        mov eax, PD_ADDR
        mov cr3, eax
        mov eax, cr0
        or eax, 0x80000000
        mov cr0, eax
        mov esi, s_paging
        call puts32
        mov eax, [0x400000]
        call puthex32
        call crlf32

        ; HLT woken by the PIT
        call idt_init
        call pic_remap
        mov eax, PIC_MASTER_BASE
        mov edx, irq0_handler
        call set_gate
        mov eax, 11932                      ; 100 Hz
        call pit0_mode2
        mov al, 0xFE
        out 0x21, al
        sti
        mov ecx, 5
.h:     hlt
        loop .h
        cli
        mov esi, s_hlt
        call puts32
        mov esi, s_ok
        cmp dword [ticks], 5                ; a tick already pending at STI may add one
        jae .ok
        mov esi, s_few
.ok:    call puts32

        mov esi, s_bye
        call puts32
.halt:  cli
        hlt
        jmp .halt

irq0_handler:
        push eax
        inc dword [ticks]
        mov al, 0x20
        out 0x20, al
        pop eax
        iretd

%include "../include/serial32.inc"
%include "../include/pc32.inc"

s_banner: db "vtx demo guest", 13, 10, 0
s_pm:     db "  booted by the BIOS, now in 32-bit protected mode", 13, 10, 0
s_cpuid:  db "  cpuid vendor: ", 0
s_cmos:   db "  cmos base memory: ", 0
s_kib:    db " KiB", 13, 10, 0
s_paging: db "  paging on: linear 0x00400000 -> physical 0x00100000 reads ", 0
s_hlt:    db "  hlt x5 woken by the 8254 timer (irq0 at 100 Hz): ", 0
s_ok:     db "ok", 13, 10, 0
s_few:    db "too few ticks", 13, 10, 0
s_bye:    db "demo done; halting (cli; hlt)", 13, 10, 0
        align 4
ticks:    dd 0
vendor:   times 12 db 0
image_end:
        BOOT32_PAD
