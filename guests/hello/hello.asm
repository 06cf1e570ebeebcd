; hello.asm -- vtx "hello" guest: a 512-byte real-mode boot sector.
;
; Loaded by the BIOS at 0000:7C00 (floppy or hard disk, DL = boot drive).
; Programs COM1 itself and prints, through port I/O only (no BIOS calls):
;     Hello from vtx!
;     fib(24) = 46368
;     boot drive = 0x0000   (DL as passed by the BIOS: 0x00 floppy, 0x80 disk)
; then halts for good with CLI; HLT (vtx reports exit 0; QEMU runs until killed).
; Build: nasm -f bin -o hello.img hello.asm

        bits 16
        org 0x7C00

start:
        cli
        xor ax, ax
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov sp, 0x7C00
        cld
        mov [boot_drive], dl

        call serial_init16
        mov si, msg_hello
        call serial_puts16

        ; fib(24) iteratively: computed by the guest, so the line proves arithmetic works.
        mov si, msg_fib
        call serial_puts16
        xor ax, ax              ; fib(0)
        mov bx, 1               ; fib(1)
        mov cx, 24
.fib:   xadd ax, bx             ; ax = ax + bx, bx = old ax
        loop .fib
        call serial_putdec16
        mov si, msg_crlf
        call serial_puts16

        mov si, msg_drive
        call serial_puts16
        xor ax, ax
        mov al, [boot_drive]
        call serial_puthex16
        mov si, msg_crlf
        call serial_puts16

halt:   cli
        hlt
        jmp halt

%include "../include/serial16.inc"

msg_hello: db "Hello from vtx!", 13, 10, 0
msg_fib:   db "fib(24) = ", 0
msg_drive: db "boot drive = 0x", 0
msg_crlf:  db 13, 10, 0
boot_drive: db 0

        times 510 - ($ - $$) db 0
        dw 0xAA55
