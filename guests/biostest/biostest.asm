; biostest.asm -- vtx "biostest" guest: exercises the BIOS services a boot loader relies on
; and prints what they return.  Its golden output is recorded with the vtx BIOS
; (firmware/bios.bin) under QEMU, booted from the hard disk (-hda); under SeaBIOS the values
; differ (E820 map, int 10h output not mirrored on COM1) -- by design this guest checks *our*
; firmware.
;
; Load protocol: hard-disk boot sector at 0000:7C00 (DL = 0x80); sector 1 loads the rest with
; int 13h AH=02h (CHS) and stays in real mode throughout.
; Services (the int 11h x87 bit is masked: it follows the CPU model): int 10h AH=0Eh/0Fh/03h, int 11h, int 12h, int 13h AH=08h/15h/41h/42h/48h
; (extended read compared with the CHS read), int 15h E820/E801/88h/2400h-2403h (A20 verified
; by the 1 MiB wrap), int 16h AH=05h/01h/00h, int 1Ah AH=00h (ticks advance across HLT),
; AH=02h/04h (valid BCD).  Values are printed through port I/O on COM1 (not via int 10h).
; Exit: isa-debug-exit with 0 if every check passed (QEMU status 1), else 1 (status 3).
; Build: nasm -f bin -o biostest.img biostest.asm

        bits 16
        org 0x7C00

STAGE2_SECTORS equ (stage2_end - stage2 + 511) / 512
BUF1 equ 0x1000
BUF2 equ 0x1400
E820_BUF equ 0x1800

boot:
        cli
        xor ax, ax
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov sp, 0x7C00
        cld
        mov [drive], dl
        call serial_init16
        mov ax, 0x0200 + STAGE2_SECTORS
        mov bx, 0x7E00
        mov cx, 0x0002
        xor dh, dh
        mov dl, [drive]
        int 0x13
        jc .f
        jmp stage2
.f:     mov si, m_loadfail
        call serial_puts16
        mov al, 1
        out 0xF4, al
.h:     cli
        hlt
        jmp .h

%include "../include/serial16.inc"

m_loadfail: db "biostest: int 13h load FAILED", 13, 10, 0
drive: db 0
        times 510 - ($ - $$) db 0
        dw 0xAA55

STAGE2_MAGIC equ 0x54534F42     ; "BOST"

; =============================================================================================
stage2:
        jmp short stage2_go
        align 4
stage2_magic: dd STAGE2_MAGIC
stage2_go:
        sti
        mov si, m_drive
        call puts
        movzx ax, byte [drive]
        call hex4
        call crlf

        ; ---- int 10h ----
        mov si, m_tty
.tty:   lodsb
        test al, al
        jz .ttyd
        mov ah, 0x0E
        mov bx, 0x0007
        int 0x10
        jmp .tty
.ttyd:  mov ah, 0x0F
        int 0x10
        push bx
        push ax
        mov si, m_mode
        call puts
        pop ax
        push ax
        movzx ax, al
        call dec
        mov si, m_cols
        call puts
        pop ax
        movzx ax, ah
        call dec
        mov si, m_page
        call puts
        pop bx
        movzx ax, bh
        call dec
        call crlf
        mov ah, 0x03
        xor bh, bh
        int 0x10
        mov si, m_cursor
        call puts
        movzx ax, dh
        call dec
        mov al, ','
        call serial_putc16
        movzx ax, dl
        call dec
        call crlf

        ; ---- int 11h / 12h ----
        int 0x11
        and ax, 0xFFFD                      ; bit 1 (x87) follows the CPU model: not printed
        push ax
        mov si, m_equip
        call puts
        pop ax
        call hex4
        int 0x12
        push ax
        mov si, m_basemem
        call puts
        pop ax
        call dec
        mov si, m_kib
        call puts

        ; ---- int 15h memory ----
        xor ebx, ebx
        xor bp, bp
.e820:  mov eax, 0xE820
        mov edx, 0x534D4150
        mov ecx, 24
        mov di, E820_BUF
        int 0x15
        jc .e820d
        cmp eax, 0x534D4150
        jne .fail_e820
        push ebx
        mov si, m_e820
        call puts
        mov ax, bp
        call dec
        mov si, m_base
        call puts
        mov eax, [E820_BUF + 4]
        call hex8
        mov eax, [E820_BUF]
        call hex8
        mov si, m_len
        call puts
        mov eax, [E820_BUF + 12]
        call hex8
        mov eax, [E820_BUF + 8]
        call hex8
        mov si, m_type
        call puts
        mov ax, [E820_BUF + 16]
        call dec
        call crlf
        pop ebx
        inc bp
        test ebx, ebx
        jz .e820d
        cmp bp, 32
        jb .e820
.e820d: cmp bp, 3
        jb .fail_e820
        mov ax, 0xE801
        int 0x15
        jc .fail
        push dx
        push cx
        push bx
        push ax
        mov si, m_e801
        call puts
        pop ax
        call hex4
        mov si, m_bx
        call puts
        pop ax
        call hex4
        mov si, m_cx
        call puts
        pop ax
        call hex4
        mov si, m_dx
        call puts
        pop ax
        call hex4
        call crlf
        mov ah, 0x88
        int 0x15
        jc .fail
        push ax
        mov si, m_88
        call puts
        pop ax
        call hex4
        call crlf
        jmp .a20

.fail_e820:
        mov si, m_e820fail
        call puts
.fail:  mov si, m_fail
        call puts
        mov al, 1
        out 0xF4, al
.hang:  cli
        hlt
        jmp .hang

        ; ---- int 15h A20 ----
.a20:   mov ax, 0x2403
        int 0x15
        jc .fail
        mov si, m_a20sup
        call puts
        mov ax, bx
        call hex4
        call crlf
        mov ax, 0x2400
        int 0x15
        jc .fail
        call a20_wraps
        jnc .fail
        mov ax, 0x2402
        int 0x15
        jc .fail
        test al, al
        jnz .fail
        mov ax, 0x2401
        int 0x15
        jc .fail
        call a20_wraps
        jc .fail
        mov ax, 0x2402
        int 0x15
        cmp al, 1
        jne .fail
        mov si, m_a20
        call puts

        ; ---- int 13h ----
        mov ah, 0x08
        mov dl, [drive]
        xor di, di
        int 0x13
        jc .fail
        push dx
        push cx
        mov si, m_geom
        call puts
        pop cx
        mov ax, cx                          ; cylinders: CH | (CL & 0xC0) << 2, + 1
        xchg al, ah
        shr ah, 6
        inc ax
        call dec
        mov si, m_heads
        call puts
        pop dx
        push dx
        movzx ax, dh
        inc ax
        call dec
        mov si, m_spt
        call puts
        movzx ax, cl
        and al, 0x3F
        call dec
        mov si, m_drives
        call puts
        pop dx
        movzx ax, dl
        call dec
        call crlf

        mov ah, 0x15
        mov dl, [drive]
        int 0x13
        jc .fail
        push dx
        push cx
        push ax
        mov si, m_type15
        call puts
        pop ax
        movzx ax, ah
        call dec
        mov si, m_sectors
        call puts
        pop ax
        call serial_puthex16
        pop ax
        call serial_puthex16
        call crlf

        mov ah, 0x41
        mov bx, 0x55AA
        mov dl, [drive]
        int 0x13
        jc .fail
        cmp bx, 0xAA55
        jne .fail
        push cx
        push ax
        mov si, m_edd
        call puts
        pop ax
        movzx ax, ah
        call hex4
        mov si, m_bitmap
        call puts
        pop ax
        call hex4
        call crlf

        mov word [edd_params], 0x1E
        mov ah, 0x48
        mov dl, [drive]
        mov si, edd_params
        int 0x13
        jc .fail
        mov si, m_48
        call puts
        mov ax, [edd_params]
        call hex4
        mov si, m_48c
        call puts
        mov eax, [edd_params + 4]
        call hex8
        mov si, m_48h
        call puts
        mov eax, [edd_params + 8]
        call hex8
        mov si, m_48s
        call puts
        mov eax, [edd_params + 12]
        call hex8
        mov si, m_48t
        call puts
        mov eax, [edd_params + 16]
        call hex8
        mov si, m_48b
        call puts
        mov ax, [edd_params + 24]
        call dec
        call crlf

        ; CHS read of sectors 2-3 vs extended read of LBA 1-2
        mov ax, 0x0202
        mov bx, BUF1
        mov cx, 0x0002
        xor dh, dh
        mov dl, [drive]
        int 0x13
        jc .fail
        cmp al, 2
        jne .fail
        mov word [dap + 2], 2
        mov ah, 0x42
        mov dl, [drive]
        mov si, dap
        int 0x13
        jc .fail
        cmp word [dap + 2], 2
        jne .fail
        mov si, BUF1
        mov di, BUF2
        mov cx, 512
        repe cmpsw
        jne .fail
        cmp dword [BUF2 + (stage2_magic - stage2)], STAGE2_MAGIC
        jne .fail
        mov si, m_rw
        call puts

        ; read beyond the end of the disk must fail with CF=1
        mov ah, 0x15
        mov dl, [drive]
        int 0x13
        mov [dap + 8], dx
        mov [dap + 10], cx
        mov word [dap + 2], 1
        mov ah, 0x42
        mov dl, [drive]
        mov si, dap
        int 0x13
        jnc .fail
        push ax
        mov si, m_eod
        call puts
        pop ax
        movzx ax, ah
        call hex4
        call crlf

        ; ---- int 16h ----
        mov ah, 0x05
        mov cx, 0x1E61                      ; 'a'
        int 0x16
        test al, al
        jnz .fail
        mov ah, 0x01
        int 0x16
        jz .fail
        cmp ax, 0x1E61
        jne .fail
        mov ah, 0x00
        int 0x16
        cmp ax, 0x1E61
        jne .fail
        mov ah, 0x01
        int 0x16
        jnz .fail
        mov si, m_kbd
        call puts

        ; ---- int 1Ah ----
        mov ah, 0x00
        int 0x1A
        mov [t0], dx
        mov [t0 + 2], cx
        sti
        mov cx, 3
.w:     hlt                                 ; IRQ0 at 18.2 Hz wakes us
        loop .w
        mov ah, 0x00
        int 0x1A
        shl ecx, 16
        mov cx, dx
        cmp ecx, [t0]
        jbe .fail
        mov ah, 0x02
        int 0x1A
        jc .fail
        mov al, ch
        call bcd_ok
        jc .fail
        mov al, cl
        call bcd_ok
        jc .fail
        mov al, dh
        call bcd_ok
        jc .fail
        mov ah, 0x04
        int 0x1A
        jc .fail
        mov al, ch
        call bcd_ok
        jc .fail
        mov al, dl
        call bcd_ok
        jc .fail
        mov si, m_clock
        call puts

        mov si, m_pass
        call puts
        xor al, al
        out 0xF4, al
        jmp .hang

; a20_wraps: CF=1 if 0000:0600 and FFFF:0610 are the same byte
a20_wraps:
        push ds
        push es
        xor ax, ax
        mov ds, ax
        mov ax, 0xFFFF
        mov es, ax
        mov byte [0x0600], 0x11
        mov byte [es:0x0610], 0x22
        cmp byte [0x0600], 0x22
        pop es
        pop ds
        je .y
        clc
        ret
.y:     stc
        ret

; bcd_ok: CF=1 unless AL is two BCD digits
bcd_ok:
        push ax
        mov ah, al
        and al, 0x0F
        cmp al, 9
        ja .n
        shr ah, 4
        cmp ah, 9
        ja .n
        pop ax
        clc
        ret
.n:     pop ax
        stc
        ret

puts:   jmp serial_puts16
crlf:   push si
        mov si, m_crlf
        call serial_puts16
        pop si
        ret
hex4:   push ax
        mov al, '0'
        call serial_putc16
        mov al, 'x'
        call serial_putc16
        pop ax
        jmp serial_puthex16
hex8:   push eax                            ; EAX as 8 hex digits (no prefix)
        shr eax, 16
        call serial_puthex16
        pop eax
        jmp serial_puthex16
dec:    jmp serial_putdec16

dap:    db 0x10, 0
        dw 2                                ; sectors
        dw BUF2, 0                          ; buffer 0000:1400
        dd 1, 0                             ; LBA 1
t0:     dd 0
edd_params: times 0x1E db 0

m_drive:   db "biostest: boot drive ", 0
m_tty:     db "biostest: int 10h teletype", 13, 10, 0
m_mode:    db "biostest: int 10h AH=0Fh mode ", 0
m_cols:    db " columns ", 0
m_page:    db " page ", 0
m_cursor:  db "biostest: int 10h AH=03h cursor row,col ", 0
m_equip:   db "biostest: int 11h equipment (x87 bit masked) ", 0
m_basemem: db 13, 10, "biostest: int 12h base memory ", 0
m_kib:     db " KiB", 13, 10, 0
m_e820:    db "biostest: e820 ", 0
m_base:    db " base 0x", 0
m_len:     db " length 0x", 0
m_type:    db " type ", 0
m_e801:    db "biostest: e801 ax ", 0
m_bx:      db " bx ", 0
m_cx:      db " cx ", 0
m_dx:      db " dx ", 0
m_88:      db "biostest: int 15h AH=88h ", 0
m_a20sup:  db "biostest: int 15h AX=2403h support ", 0
m_a20:     db "biostest: int 15h A20 off/status/on verified by the 1 MiB wrap", 13, 10, 0
m_geom:    db "biostest: int 13h AH=08h cylinders ", 0
m_heads:   db " heads ", 0
m_spt:     db " sectors ", 0
m_drives:  db " drives ", 0
m_type15:  db "biostest: int 13h AH=15h type ", 0
m_sectors: db " sectors 0x", 0
m_edd:     db "biostest: int 13h AH=41h version ", 0
m_bitmap:  db " subsets ", 0
m_48:      db "biostest: int 13h AH=48h size ", 0
m_48c:     db " cyls 0x", 0
m_48h:     db " heads 0x", 0
m_48s:     db " spt 0x", 0
m_48t:     db " total 0x", 0
m_48b:     db " bytes/sector ", 0
m_rw:      db "biostest: int 13h AH=02h CHS read == AH=42h LBA read", 13, 10, 0
m_eod:     db "biostest: int 13h AH=42h past the end fails, status ", 0
m_kbd:     db "biostest: int 16h AH=05h/01h/00h round trip", 13, 10, 0
m_clock:   db "biostest: int 1Ah ticks advance across HLT, RTC time/date are BCD", 13, 10, 0
m_e820fail: db "biostest: e820 FAILED", 13, 10, 0
m_pass:    db "biostest: PASS", 13, 10, 0
m_fail:    db "biostest: FAIL", 13, 10, 0
m_crlf:    db 13, 10, 0
stage2_end:
        times (STAGE2_SECTORS * 512) - (stage2_end - stage2) db 0
