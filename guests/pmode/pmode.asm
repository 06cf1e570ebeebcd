; pmode.asm -- vtx "pmode" guest: real mode -> 32-bit protected mode -> paging.
;
; Load protocol: boot sector at 0000:7C00 (floppy or hard disk, DL = boot drive).  Sector 1
; reads the rest of the image (STAGE2_SECTORS sectors, CHS 0/0/2.., one int 13h AH=02h call)
; to 0000:7E00, so the image must sit on track 0 (<= 17 sectors: fine for both media).
; Steps, each reported on COM1 by port I/O:
;   real mode, stage 2 loaded through int 13h, A20 enabled via port 0x92 (verified by a
;   1 MiB wrap test), GDT loaded + CR0.PE + far jump to 32-bit code, IDT loaded, 32-bit paging
;   (identity map of 0-4 MiB + linear 0x400000 -> physical 0x100000), alias verified both ways,
;   a write to the unmapped 0x401000 raising #PF (CR2 and error code printed) that the handler
;   resolves by mapping the page, then PASS.
; Exit: isa-debug-exit (port 0xF4) with 0 on PASS (QEMU status 1), 1 on FAIL (status 3).
; Build: nasm -f bin -o pmode.img pmode.asm

        bits 16
        org 0x7C00

STAGE2_SECTORS equ (stage2_end - stage2 + 511) / 512

PD_ADDR  equ 0x20000            ; page directory
PT0_ADDR equ 0x21000            ; 0-4 MiB identity
PT1_ADDR equ 0x22000            ; 4-8 MiB: only 0x400000 -> 0x100000 present
ALIAS_LIN  equ 0x00400000
ALIAS_PHYS equ 0x00100000
STACK_TOP  equ 0x00090000

boot:
        cli
        xor ax, ax
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov sp, 0x7C00
        cld
        mov [boot_drive], dl
        call serial_init16
        mov si, msg_real
        call serial_puts16

        mov ax, 0x0200 + STAGE2_SECTORS
        mov bx, 0x7E00
        mov cx, 0x0002                      ; cylinder 0, sector 2
        xor dh, dh
        mov dl, [boot_drive]
        int 0x13
        jc .fail
        cmp al, STAGE2_SECTORS
        jne .fail
        cmp dword [stage2_magic], STAGE2_MAGIC
        jne .fail
        mov si, msg_loaded
        call serial_puts16
        mov ax, STAGE2_SECTORS
        call serial_putdec16
        mov si, msg_sectors
        call serial_puts16
        jmp stage2
.fail:  mov si, msg_diskfail
        call serial_puts16
        mov al, 1
        out 0xF4, al
.h:     cli
        hlt
        jmp .h

%include "../include/serial16.inc"

msg_real:     db "pmode: real mode, CS:IP=0000:7C00", 13, 10, 0
msg_loaded:   db "pmode: stage 2 loaded via int 13h (", 0
msg_sectors:  db " sectors)", 13, 10, 0
msg_diskfail: db "pmode: int 13h read FAILED", 13, 10, 0
boot_drive:   db 0

        times 510 - ($ - $$) db 0
        dw 0xAA55

; =============================================================================================
STAGE2_MAGIC equ 0x32475453     ; "STG2"
stage2:
        jmp short stage2_go
        align 4
stage2_magic: dd STAGE2_MAGIC

stage2_go:
        ; ---- A20 through port 0x92, verified by the wrap test ----
        in al, 0x92
        or al, 0x02
        and al, 0xFE
        out 0x92, al
        call a20_check16
        jc a20_fail
        mov si, msg_a20
        call serial_puts16

        ; ---- protected mode ----
        cli
        lgdt [gdt_desc]
        mov eax, cr0
        or eax, 1
        mov cr0, eax
        jmp 0x08:pm32

a20_fail:
        mov si, msg_a20fail
        call serial_puts16
        mov al, 1
        out 0xF4, al
.h:     cli
        hlt
        jmp .h

; a20_check16: CF=1 if 0000:0500 and FFFF:0510 alias (A20 off)
a20_check16:
        push ds
        push es
        xor ax, ax
        mov ds, ax
        mov ax, 0xFFFF
        mov es, ax
        mov byte [0x0500], 0x00
        mov byte [es:0x0510], 0xFF
        cmp byte [0x0500], 0xFF
        pop es
        pop ds
        je .wrap
        clc
        ret
.wrap:  stc
        ret

msg_a20:     db "pmode: A20 enabled (port 0x92), 1 MiB wrap test passed", 13, 10, 0
msg_a20fail: db "pmode: A20 wrap test FAILED", 13, 10, 0

        align 8
gdt:    dq 0
        dq 0x00CF9A000000FFFF           ; 0x08 code32, base 0, 4 GiB
        dq 0x00CF92000000FFFF           ; 0x10 data32, base 0, 4 GiB
gdt_end:
gdt_desc:
        dw gdt_end - gdt - 1
        dd gdt

; =============================================================================================
        bits 32
pm32:
        mov ax, 0x10
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov fs, ax
        mov gs, ax
        mov esp, STACK_TOP
        mov esi, msg_pm
        call puts32
        mov eax, cr0
        call puthex32
        call crlf32

        ; ---- IDT: every vector to a "unexpected exception" stub, #PF to its handler ----
        mov edi, idt
        mov ecx, 32
.idt:   mov eax, unexpected_exc
        mov [edi], ax
        mov word [edi + 2], 0x08
        mov word [edi + 4], 0x8E00      ; present, DPL 0, 32-bit interrupt gate
        shr eax, 16
        mov [edi + 6], ax
        add edi, 8
        loop .idt
        mov eax, pf_handler
        mov [idt + 14 * 8], ax
        shr eax, 16
        mov [idt + 14 * 8 + 6], ax
        lidt [idt_desc]
        mov esi, msg_idt
        call puts32

        ; ---- mark the alias target before paging ----
        mov dword [ALIAS_PHYS], 0xC0FFEE01
        mov dword [ALIAS_PHYS + 4], 0

        ; ---- page tables ----
        mov edi, PD_ADDR
        mov ecx, 3 * 1024
        xor eax, eax
        rep stosd
        mov dword [PD_ADDR + 0], PT0_ADDR | 0x003       ; present, writable
        mov dword [PD_ADDR + 4], PT1_ADDR | 0x003
        mov edi, PT0_ADDR
        mov eax, 0x003
        mov ecx, 1024
.pt0:   stosd
        add eax, 0x1000
        loop .pt0
        mov dword [PT1_ADDR + 0], ALIAS_PHYS | 0x003    ; 0x400000 -> 0x100000
        mov eax, PD_ADDR
        mov cr3, eax
        mov eax, cr0
        or eax, 0x80000000
        mov cr0, eax
        jmp .paged
.paged: mov esi, msg_paging
        call puts32
        mov eax, cr3
        call puthex32
        mov esi, msg_cr0
        call puts32
        mov eax, cr0
        call puthex32
        call crlf32

        ; ---- alias check: read through 0x400000, write through it, read back physically ----
        mov eax, [ALIAS_LIN]
        cmp eax, 0xC0FFEE01
        jne fail
        mov dword [ALIAS_LIN + 4], 0x5EED0002
        mov esi, msg_alias
        call puts32
        mov eax, [ALIAS_LIN]
        call puthex32
        call crlf32
        ; identity view of 0x100000 is the same physical page
        mov eax, [ALIAS_PHYS + 4]
        cmp eax, 0x5EED0002
        jne fail
        mov esi, msg_alias2
        call puts32
        call puthex32
        call crlf32

        ; ---- demand paging: write to the unmapped 0x401000 ----
        mov dword [pf_count], 0
        mov dword [ALIAS_LIN + 0x1000], 0x12345678
        cmp dword [pf_count], 1
        jne fail
        mov eax, [ALIAS_PHYS + 0x1000]      ; the handler mapped 0x401000 -> 0x101000
        cmp eax, 0x12345678
        jne fail
        mov esi, msg_demand
        call puts32
        call puthex32
        call crlf32

        mov esi, msg_pass
        call puts32
        xor al, al
        jmp qemu_exit32

fail:
        mov esi, msg_fail
        call puts32
        mov al, 1
        jmp qemu_exit32

; #PF: report CR2 and the error code, map the page 0x401000 -> 0x101000, retry.
pf_handler:
        push eax
        push esi
        mov esi, msg_pf
        call puts32
        mov eax, cr2
        call puthex32
        mov esi, msg_pf_err
        call puts32
        mov eax, [esp + 8]                  ; error code
        call puthex32
        call crlf32
        mov eax, cr2
        cmp eax, ALIAS_LIN + 0x1000
        jne .bad
        inc dword [pf_count]
        cmp dword [pf_count], 1
        jne .bad
        mov dword [PT1_ADDR + 4], (ALIAS_PHYS + 0x1000) | 0x003
        invlpg [ALIAS_LIN + 0x1000]
        pop esi
        pop eax
        add esp, 4                          ; drop the error code
        iretd
.bad:   jmp fail

unexpected_exc:
        mov esi, msg_unexp
        call puts32
        jmp fail

%include "../include/serial32.inc"

msg_pm:     db "pmode: protected mode, CS=0x08 flat 32-bit, CR0=", 0
msg_idt:    db "pmode: IDT loaded (32 vectors)", 13, 10, 0
msg_paging: db "pmode: paging enabled, CR3=", 0
msg_cr0:    db " CR0=", 0
msg_alias:  db "pmode: linear 0x00400000 -> physical 0x00100000 reads ", 0
msg_alias2: db "pmode: write through the alias seen at physical 0x00100004: ", 0
msg_pf:     db "pmode: #PF at CR2=", 0
msg_pf_err: db " error code ", 0
msg_demand: db "pmode: page mapped by the #PF handler, physical 0x00101000 holds ", 0
msg_pass:   db "pmode: PASS", 13, 10, 0
msg_fail:   db "pmode: FAIL", 13, 10, 0
msg_unexp:  db "pmode: unexpected exception", 13, 10, 0

        align 4
pf_count: dd 0
idt_desc:
        dw 32 * 8 - 1
        dd idt
        align 8
idt:    times 32 * 8 db 0
stage2_end:
        times (STAGE2_SECTORS * 512) - (stage2_end - stage2) db 0
