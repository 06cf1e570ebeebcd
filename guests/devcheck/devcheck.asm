; devcheck.asm -- vtx "devcheck" guest: checks the PC devices from the inside.
;
; Load protocol: boot image (floppy or hard disk; boot32.inc loads it and enters 32-bit
; protected mode).  Each check programs the device it needs first (it does not depend on what
; the firmware left behind), then prints one line "devcheck: <name> PASS" or
; "devcheck: <name> FAIL <value>" on COM1.  Values are printed only on failure, so the output
; under a faithful board is the same everywhere.
; Waits use HLT woken by interrupts (PIT IRQ0 at 1 kHz, RTC IRQ8), never long polls, so a
; machine with instruction-driven virtual time skips them.
; Exit: isa-debug-exit with 0 when every check passes (QEMU status 1), 1 otherwise (status 3).
; Build: nasm -f bin -o devcheck.img devcheck.asm

        org 0x7C00
%include "../include/boot32.inc"

        bits 32
main32:
        call serial_init32
        mov esi, s_start
        call puts32
        call idt_init
        call pic_remap
        mov eax, PIC_MASTER_BASE + 0
        mov edx, irq0_handler
        call set_gate
        mov eax, PIC_SLAVE_BASE + 0
        mov edx, irq8_handler
        call set_gate

        mov esi, checks
.next:  lodsd
        test eax, eax
        jz .done
        mov edx, eax                        ; name
        lodsd                               ; routine
        push esi
        push edx
        call eax
        pop esi                             ; name
        pushfd
        push eax
        push esi
        mov esi, s_prefix
        call puts32
        pop esi
        call puts32
        pop eax
        popfd
        jc .fail
        mov esi, s_pass
        call puts32
        inc dword [passed]
        jmp .cont
.fail:  mov esi, s_fail
        call puts32
        call puthex32
        call crlf32
.cont:  inc dword [total]
        pop esi
        jmp .next
.done:  mov esi, s_prefix
        call puts32
        mov eax, [passed]
        call putdec32
        mov al, '/'
        call putc32
        mov eax, [total]
        call putdec32
        mov esi, s_summary
        call puts32
        mov eax, [passed]
        cmp eax, [total]
        jne .bad
        mov esi, s_allpass
        call puts32
        xor al, al
        jmp qemu_exit32
.bad:   mov esi, s_somefail
        call puts32
        mov al, 1
        jmp qemu_exit32

; ---- interrupt handlers ----------------------------------------------------------------------
irq0_handler:
        push eax
        inc dword [ticks]
        cmp dword [isr_probe], 0
        je .e
        mov al, 0x0B                        ; OCW3: read ISR
        out 0x20, al
        in al, 0x20
        mov [isr_in_handler], al
        mov dword [isr_probe], 0
        mov al, 0x0A                        ; back to IRR reads
        out 0x20, al
.e:     mov al, 0x20
        out 0x20, al
        pop eax
        iretd

irq8_handler:
        push eax
        mov al, 0x0C
        out 0x70, al
        in al, 0x71
        or [rtc_flags], al
        inc dword [rtc_irqs]
        mov al, 0x20
        out 0xA0, al
        out 0x20, al
        pop eax
        iretd

; start_ticking: PIT channel 0 at ~1 kHz, IRQ0 (and the cascade) unmasked, interrupts on
start_ticking:
        push eax
        mov eax, 1193
        call pit0_mode2
        in al, 0x21
        and al, 0xFA
        out 0x21, al
        sti
        pop eax
        ret
stop_ticking:
        push eax
        cli
        in al, 0x21
        or al, 0x01
        out 0x21, al
        pop eax
        ret

; spin: about a thousand instructions without a VM exit, so that polling loops advance
; instruction-driven virtual time without an exit per iteration
spin:
        push ecx
        mov ecx, 500
.l:     dec ecx
        jnz .l
        pop ecx
        ret

; ---- checks: each returns CF=0 pass, CF=1 fail with EAX = value worth printing ------------------
chk_uart_scratch:
        mov dx, 0x3FF
        mov al, 0x5A
        out dx, al
        in al, dx
        cmp al, 0x5A
        jne .f
        mov al, 0xA5
        out dx, al
        in al, dx
        cmp al, 0xA5
        jne .f
        clc
        ret
.f:     movzx eax, al
        stc
        ret

chk_uart_loopback:
        ; drain the receiver
        mov ecx, 64
.dr:    mov dx, 0x3FD
        in al, dx
        test al, 0x01
        jz .l
        mov dx, 0x3F8
        in al, dx
        loop .dr
.l:     mov dx, 0x3FC
        mov al, 0x1B                        ; LOOP | OUT2 | RTS | DTR
        out dx, al
        mov dx, 0x3FE                       ; MSR: DCD<-OUT2, CTS<-RTS, DSR<-DTR, RI<-OUT1
        in al, dx
        and al, 0xF0
        cmp al, 0xB0
        jne .f
        mov dx, 0x3F8
        mov al, 0xA7
        out dx, al
        mov ecx, 100000
        mov dx, 0x3FD
.w:     in al, dx
        test al, 0x01
        jnz .got
        loop .w
        mov eax, 0xDEAD0001
        jmp .f2
.got:   mov dx, 0x3F8
        in al, dx
        cmp al, 0xA7
        jne .f
        mov dx, 0x3FC
        mov al, 0x0B
        out dx, al
        clc
        ret
.f:     movzx eax, al
.f2:    push eax
        mov dx, 0x3FC
        mov al, 0x0B
        out dx, al
        pop eax
        stc
        ret

chk_pic_imr:
        mov al, 0xA5
        out 0x21, al
        mov al, 0x5A
        out 0xA1, al
        in al, 0x21
        mov ah, al
        in al, 0xA1
        push eax
        mov al, 0xFF
        out 0x21, al
        out 0xA1, al
        pop eax
        cmp ax, 0xA55A
        jne .f
        clc
        ret
.f:     movzx eax, ax
        stc
        ret

; IRR: with IRQ0 masked the timer still raises IRR bit 0.  ISR: inside the IRQ0 handler,
; before EOI, ISR bit 0 is set; after EOI it is clear.
chk_pic_irr_isr:
        cli
        mov al, 0xFF
        out 0x21, al
        mov eax, 100                        ; ~84 us period
        call pit0_mode2
        mov ecx, 100000
        mov al, 0x0A
        out 0x20, al
.w:     in al, 0x20
        test al, 0x01
        jnz .irr
        call spin
        loop .w
        mov eax, 0xDEAD0002
        stc
        ret
.irr:   mov dword [isr_in_handler], 0
        mov dword [isr_probe], 1
        mov eax, [ticks]
        mov al, 0xFE                        ; unmask IRQ0 only; the latched request fires now
        out 0x21, al
        sti
        mov ecx, 100
.h:     cmp dword [isr_probe], 0
        je .took
        hlt
        loop .h
        cli
        mov eax, 0xDEAD0003
        stc
        ret
.took:  cli
        mov al, 0xFF
        out 0x21, al
        mov al, 0x0B
        out 0x20, al
        in al, 0x20
        mov ah, al                          ; ISR after EOI
        mov al, 0x0A
        out 0x20, al
        mov al, [isr_in_handler]
        cmp ax, 0x0001
        jne .f
        clc
        ret
.f:     movzx eax, ax
        stc
        ret

; PIT read-back: channel 0 status (mode 2, lo/hi) and count, latched twice: must decrease.
chk_pit_readback:
        cli
        mov eax, 0xFFFF
        call pit0_mode2
        mov al, 0xC2                        ; read-back: latch count + status of channel 0
        out 0x43, al
        in al, 0x40
        movzx ebx, al                       ; status
        in al, 0x40
        mov cl, al
        in al, 0x40
        mov ch, al
        mov edi, ecx                        ; first count
        and bl, 0x3F
        cmp bl, 0x34
        jne .fs
        mov esi, 100000
.again: mov al, 0x00                        ; counter-latch command, channel 0
        out 0x43, al
        in al, 0x40
        mov cl, al
        in al, 0x40
        mov ch, al
        movzx ecx, cx
        cmp ecx, edi
        jne .moved
        call spin
        dec esi
        jnz .again
        mov eax, 0xDEAD0004
        stc
        ret
.moved: mov eax, edi
        sub eax, ecx
        and eax, 0xFFFF
        cmp eax, 0x8000                     ; decreasing (modulo the reload)
        jae .fd
        clc
        ret
.fs:    movzx eax, bl
        stc
        ret
.fd:    mov eax, ecx
        stc
        ret

; Channel 2, mode 0, gate on (port 0x61 bit 0): OUT2 (port 0x61 bit 5) is low after the count
; is written and goes high when it expires (~168 us).
chk_pit_ch2:
        in al, 0x61
        and al, 0xFC                        ; gate off, speaker off
        out 0x61, al
        mov al, 0xB0                        ; channel 2, lo/hi, mode 0
        out 0x43, al
        mov al, 200
        out 0x42, al
        xor al, al
        out 0x42, al
        in al, 0x61
        or al, 0x01                         ; gate on
        out 0x61, al
        in al, 0x61
        test al, 0x20
        jnz .f1
        mov ecx, 1000000
.w:     in al, 0x61
        test al, 0x20
        jnz .ok
        call spin
        loop .w
        mov eax, 0xDEAD0005
        stc
        ret
.ok:    in al, 0x61
        and al, 0xFC
        out 0x61, al
        clc
        ret
.f1:    movzx eax, al
        stc
        ret

; RTC: register A divider, register B written/read back, register D VRT, valid BCD date/time.
chk_rtc_regs:
        mov al, 0x0A
        out 0x70, al
        in al, 0x71
        and al, 0x70
        cmp al, 0x20                        ; 32.768 kHz time base
        jne .f
        mov al, 0x0B
        out 0x70, al
        mov al, 0x02                        ; 24-hour, BCD, no interrupts
        out 0x71, al
        in al, 0x71
        cmp al, 0x02
        jne .f
        mov al, 0x0D
        out 0x70, al
        in al, 0x71
        cmp al, 0x80                        ; VRT: valid RAM and time
        jne .f
        clc
        ret
.f:     movzx eax, al
        stc
        ret

chk_rtc_time:
        mov ecx, 1000000
.u:     mov al, 0x0A
        out 0x70, al
        in al, 0x71
        test al, 0x80
        jz .r
        loop .u
.r:     mov esi, rtc_limits
.n:     lodsb                               ; register index (0xFF ends)
        cmp al, 0xFF
        je .ok
        movzx edx, al
        out 0x70, al
        in al, 0x71
        mov bl, al
        and bl, 0x0F
        cmp bl, 9
        ja .f
        mov bl, al
        shr bl, 4
        cmp bl, 9
        ja .f
        lodsb                               ; minimum
        mov bh, al
        lodsb                               ; maximum
        mov ah, al
        in al, 0x71
        cmp al, bh
        jb .f
        cmp al, ah
        ja .f
        jmp .n
.ok:    clc
        ret
.f:     movzx eax, al
        shl edx, 8
        or eax, edx
        stc
        ret
rtc_limits:                                 ; index, minimum, maximum (BCD)
        db 0x00, 0x00, 0x59                 ; seconds
        db 0x02, 0x00, 0x59                 ; minutes
        db 0x04, 0x00, 0x23                 ; hours (24-hour mode)
        db 0x07, 0x01, 0x31                 ; day of month
        db 0x08, 0x01, 0x12                 ; month
        db 0x09, 0x00, 0x99                 ; year
        db 0x32, 0x19, 0x21                 ; century
        db 0xFF

; RTC interrupts through the slave PIC: periodic (PF, 1024 Hz) then update-ended (UF, once a
; second), each awaited with HLT; the PIT at 1 kHz is the watchdog (2 s).
chk_rtc_irq:
        call start_ticking
        in al, 0xA1
        and al, 0xFE                        ; unmask IRQ8
        out 0xA1, al
        cli
        mov al, 0x0C
        out 0x70, al
        in al, 0x71
        mov byte [rtc_flags], 0
        mov al, 0x0A
        out 0x70, al
        mov al, 0x26                        ; 1024 Hz periodic rate
        out 0x71, al
        mov al, 0x0B
        out 0x70, al
        mov al, 0x42                        ; PIE, 24h, BCD
        out 0x71, al
        mov ebx, 0x40                       ; want PF
        call .await
        jc .f
        cli
        mov byte [rtc_flags], 0
        mov al, 0x0B
        out 0x70, al
        mov al, 0x12                        ; UIE, 24h, BCD
        out 0x71, al
        mov ebx, 0x10                       ; want UF
        call .await
        jc .f
        call .off
        clc
        ret
.f:     call .off
        mov eax, 0xDEAD0006
        stc
        ret
.off:   cli
        mov al, 0x0B
        out 0x70, al
        mov al, 0x02
        out 0x71, al
        mov al, 0x0C
        out 0x70, al
        in al, 0x71
        in al, 0xA1
        or al, 0x01
        out 0xA1, al
        call stop_ticking
        ret
.await: mov edi, [ticks]
        add edi, 2000
        sti
.aw:    test [rtc_flags], bl
        jnz .got
        cmp [ticks], edi
        jae .to
        hlt
        jmp .aw
.got:   test byte [rtc_flags], 0x80         ; IRQF accompanies the flag
        jz .to
        clc
        ret
.to:    stc
        ret

chk_i8042:
        mov ecx, 64                         ; drain
.d:     in al, 0x64
        test al, 0x01
        jz .c
        in al, 0x60
        loop .d
.c:     call .wr
        mov al, 0xAA                        ; controller self-test
        out 0x64, al
        call .rd
        jc .t
        cmp al, 0x55
        jne .f
        call .wr
        mov al, 0xAB                        ; keyboard interface test
        out 0x64, al
        call .rd
        jc .t
        test al, al
        jnz .f
        clc
        ret
.t:     mov eax, 0xDEAD0007
        stc
        ret
.f:     movzx eax, al
        stc
        ret
.wr:    mov ecx, 1000000
.w1:    in al, 0x64
        test al, 0x02
        jz .w2
        loop .w1
.w2:    ret
.rd:    mov ecx, 1000000
.r1:    in al, 0x64
        test al, 0x01
        jnz .r2
        loop .r1
        stc
        ret
.r2:    in al, 0x60
        clc
        ret

; A20 through port 0x92: off -> 0x100600 aliases 0x000600; on -> distinct.
chk_a20_port92:
        in al, 0x92
        and al, 0xFC
        out 0x92, al
        call a20_aliases
        jnc .f1
        in al, 0x92
        or al, 0x02
        and al, 0xFE
        out 0x92, al
        call a20_aliases
        jc .f2
        in al, 0x92
        and al, 0x02
        cmp al, 0x02
        jne .f2
        clc
        ret
.f1:    mov eax, 0xA20000FF
        stc
        ret
.f2:    mov eax, 0xA2000001
        stc
        ret

; A20 through the i8042 output port (command 0xD1): 0xDD off, 0xDF on (bit 0 = no reset).
chk_a20_i8042:
        mov al, 0xDD
        call .outport
        call a20_aliases
        jnc .f1
        mov al, 0xDF
        call .outport
        call a20_aliases
        jc .f2
        clc
        ret
.f1:    mov al, 0xDF
        call .outport
        mov eax, 0xA20000FF
        stc
        ret
.f2:    mov eax, 0xA2000001
        stc
        ret
.outport:
        mov ah, al
        call chk_i8042.wr
        mov al, 0xD1
        out 0x64, al
        call chk_i8042.wr
        mov al, ah
        out 0x60, al
        call chk_i8042.wr
        ret

; a20_aliases: CF=1 if physical 0x100600 and 0x000600 are the same byte
a20_aliases:
        push eax
        mov dword [0x000600], 0x11111111
        mov dword [0x100600], 0x22222222
        wbinvd
        cmp dword [0x000600], 0x22222222
        pop eax
        je .y
        clc
        ret
.y:     stc
        ret

chk_fwcfg:
        mov dx, 0x510
        xor ax, ax
        out dx, ax
        mov dx, 0x511
        mov ecx, 4
.r:     in al, dx
        ror eax, 8
        loop .r
        cmp eax, 'QEMU'
        jne .f
        clc
        ret
.f:     stc
        ret

; CMOS memory bytes agree with fw_cfg FW_CFG_RAM_SIZE (RAM between 16 MiB and 3.5 GiB)
chk_cmos_memsize:
        mov dx, 0x510
        mov ax, 0x0003
        out dx, ax
        mov dx, 0x511
        mov ecx, 4
.r:     in al, dx
        ror eax, 8
        loop .r
        mov ebx, eax
        mov al, 0x35
        out 0x70, al
        in al, 0x71
        mov ah, al
        mov al, 0x34
        out 0x70, al
        in al, 0x71
        movzx eax, ax
        shl eax, 16
        add eax, 0x01000000
        cmp eax, ebx
        jne .f
        clc
        ret
.f:     stc
        ret

; PCI 00:00.0 through configuration mechanism #1: vendor/device 8086:1237 (i440FX), class
; 06/00/00 (host bridge), subsystem 1af4:1100.
chk_pci_host:
        mov eax, 0x80000000
        call .rd
        cmp eax, 0x12378086
        jne .f
        mov eax, 0x80000008
        call .rd
        shr eax, 8
        cmp eax, 0x060000
        jne .f
        mov eax, 0x8000002C
        call .rd
        cmp eax, 0x11001AF4
        jne .f
        clc
        ret
.f:     stc
        ret
.rd:    mov dx, 0xCF8
        out dx, eax
        mov dx, 0xCFC
        in eax, dx
        ret

; Local APIC (0xFEE00000): version register 0x30 -- integrated APIC (version 0x1X), at least
; 4 LVT entries; ID register 0x20 -- BSP has APIC ID 0.
chk_lapic:
        mov eax, [0xFEE00030]
        mov ebx, eax
        and bl, 0xF0
        cmp bl, 0x10
        jne .f
        mov ebx, eax
        shr ebx, 16
        cmp bl, 3
        jb .f
        mov eax, [0xFEE00020]
        shr eax, 24
        test eax, eax
        jnz .f
        clc
        ret
.f:     stc
        ret

; I/O APIC (0xFEC00000): IOAPICVER (index 1) -- version 0x11 (82093AA) or 0x20 (what QEMU's
; ioapic reports by default), 24 redirection entries (maximum index 0x17).
chk_ioapic:
        mov dword [0xFEC00000], 0x01
        mov eax, [0xFEC00010]
        cmp eax, 0x00170011
        je .ok
        cmp eax, 0x00170020
        jne .f
.ok:    clc
        ret
.f:     stc
        ret

%include "../include/serial32.inc"
%include "../include/pc32.inc"

checks:
        dd n_uart_scratch,  chk_uart_scratch
        dd n_uart_loop,     chk_uart_loopback
        dd n_pic_imr,       chk_pic_imr
        dd n_pic_irr,       chk_pic_irr_isr
        dd n_pit_rb,        chk_pit_readback
        dd n_pit_ch2,       chk_pit_ch2
        dd n_rtc_regs,      chk_rtc_regs
        dd n_rtc_time,      chk_rtc_time
        dd n_rtc_irq,       chk_rtc_irq
        dd n_i8042,         chk_i8042
        dd n_a20_92,        chk_a20_port92
        dd n_a20_kbc,       chk_a20_i8042
        dd n_fwcfg,         chk_fwcfg
        dd n_cmos_mem,      chk_cmos_memsize
        dd n_pci,           chk_pci_host
        dd n_lapic,         chk_lapic
        dd n_ioapic,        chk_ioapic
        dd 0

n_uart_scratch: db "uart scratch register", 0
n_uart_loop:    db "uart loopback (MCR.LOOP, MSR mirror, RBR)", 0
n_pic_imr:      db "pic IMR read-back (OCW1)", 0
n_pic_irr:      db "pic IRR/ISR (OCW3) around IRQ0", 0
n_pit_rb:       db "pit read-back status + latched count decreasing", 0
n_pit_ch2:      db "pit channel 2 gate / OUT2 via port 0x61", 0
n_rtc_regs:     db "rtc registers A/B/D", 0
n_rtc_time:     db "rtc BCD date and time", 0
n_rtc_irq:      db "rtc periodic + update-ended IRQ8", 0
n_i8042:        db "i8042 self-test 0x55 + interface test", 0
n_a20_92:       db "a20 via port 0x92 (1 MiB wrap)", 0
n_a20_kbc:      db "a20 via i8042 output port (1 MiB wrap)", 0
n_fwcfg:        db 'fw_cfg signature "QEMU"', 0
n_cmos_mem:     db "cmos 0x34/0x35 = fw_cfg RAM size", 0
n_pci:          db "pci 00:00.0 8086:1237 class 0600 subsystem 1af4:1100", 0
n_lapic:        db "local apic version + id", 0
n_ioapic:       db "io apic version 0x11/0x20, 24 pins", 0

s_start:    db "devcheck: start", 13, 10, 0
s_prefix:   db "devcheck: ", 0
s_pass:     db " PASS", 13, 10, 0
s_fail:     db " FAIL ", 0
s_summary:  db " checks passed", 13, 10, 0
s_allpass:  db "devcheck: PASS", 13, 10, 0
s_somefail: db "devcheck: FAIL", 13, 10, 0

        align 4
ticks:          dd 0
passed:         dd 0
total:          dd 0
isr_probe:      dd 0
isr_in_handler: dd 0
rtc_irqs:       dd 0
rtc_flags:      db 0
image_end:
        BOOT32_PAD
