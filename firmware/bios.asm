; bios.asm -- the vtx PC BIOS: a 64 KiB real-mode firmware image.
;
; Models: the classic PC/AT BIOS contract a boot sector, DOS-era loader or multiboot-less
; kernel expects -- POST (IVT, BDA, EBDA, 8259 PIC, 8254 PIT, 16550 UART, i8042, A20),
; int 10h (text-mode teletype mirrored to COM1), int 11h/12h, int 13h (ATA PIO disk 0x80,
; 82077 FDC + 8237 DMA floppy 0x00, EDD 3.0 extended calls for the disk), int 15h (E820,
; E801, 88h, A20, C0h), int 16h (keyboard buffer fed by IRQ1), int 1Ah (ticks, CMOS clock),
; int 18h/19h (boot from the CMOS/fw_cfg boot order), IRQ0/1/6/8 handlers.
; Does not model: option-ROM scan (no VGA BIOS, no -kernel loader ROM), PCI enumeration or
; BAR assignment, ACPI/MP/SMBIOS tables, APM, PnP, CD-ROM (El Torito), USB, SMM, a second
; hard disk or floppy, VBE, graphics modes, int 15h AH=87h/89h protected-mode services.
;
; Layout: assembled at CS=F000 offset 0 (physical 0xF0000, also visible at 0xFFFF0000);
; the reset vector at F000:FFF0 jumps to POST.  All mutable state lives in the BDA (0x400)
; and the 1 KiB EBDA at 0x9FC00 -- the ROM itself is read-only.
; POST prints nothing on COM1 (golden outputs are compared with SeaBIOS, which is silent there);
; a banner goes to the debug console port 0xE9.
;
; Build: nasm -f bin -o bios.bin bios.asm   (see scripts/build-binaries.sh)

        cpu 686
        bits 16
        org 0

%include "bios.inc"

; =============================================================================================
; POST
; =============================================================================================
post:
        cli
        cld
        xor ax, ax
        mov ss, ax
        mov sp, 0x7C00
        mov ds, ax
        mov es, ax

        ; caches on: clear CR0.CD and CR0.NW (set at reset)
        mov eax, cr0
        and eax, 0x9FFFFFFF
        mov cr0, eax

        ; A20 on (port 0x92 bit 1; never touch bit 0, the fast reset)
        in al, PORT_A20
        or al, 0x02
        and al, 0xFE
        out PORT_A20, al

        ; NMI off while we set up (CMOS index bit 7)
        mov al, 0x8F
        out CMOS_INDEX, al

        ; clear IVT + BDA + the area up to 0x500
        xor di, di
        xor eax, eax
        mov cx, 0x500 / 4
        rep stosd

        ; clear the EBDA
        mov ax, EBDA_SEG
        mov es, ax
        xor di, di
        xor eax, eax
        mov cx, 1024 / 4
        rep stosd
        mov byte [es:EBDA_KIB], 1
        mov byte [es:EBDA_FD_CYL], 0xFF
        xor ax, ax
        mov es, ax

        ; ---- IVT: every vector to the default iret, then the real ones ----
        xor di, di
        mov cx, 256
.ivt:   mov word [di], default_iret
        mov word [di + 2], 0xF000
        add di, 4
        loop .ivt
        mov si, ivt_table
.ivt2:  cs lodsw                    ; vector number (0xFFFF ends the table)
        cmp ax, 0xFFFF
        je .ivt_done
        mov bx, ax
        shl bx, 2
        cs lodsw
        mov [bx], ax
        mov word [bx + 2], 0xF000
        jmp .ivt2
.ivt_done:
        mov word [0x1E * 4], diskette_param_table
        mov word [0x1E * 4 + 2], 0xF000

        ; ---- BDA ----
        mov word [BDA_EBDA_SEG], EBDA_SEG
        mov word [BDA_MEM_KIB], 639
        mov word [BDA_KBD_HEAD], 0x1E
        mov word [BDA_KBD_TAIL], 0x1E
        mov word [BDA_KBD_START], 0x1E
        mov word [BDA_KBD_END], 0x3E
        mov byte [BDA_KBD_MODE], 0x10      ; 101/102-key keyboard
        mov byte [BDA_VIDEO_MODE], 3
        mov word [BDA_VIDEO_COLS], 80
        mov word [BDA_VIDEO_PAGESIZE], 0x1000
        mov word [BDA_CURSOR_SHAPE], 0x0607
        mov word [BDA_CRTC_PORT], 0x3D4
        mov byte [BDA_VIDEO_MODECTL], 0x29
        mov byte [BDA_VIDEO_PALETTE], 0x30
        mov byte [BDA_VIDEO_ROWS], 24
        mov word [BDA_VIDEO_CHARH], 16

        ; serial ports: scratch-register probe of the four standard bases
        xor bx, bx                          ; number found
        mov si, com_bases
        mov di, BDA_COM1
.com:   cs lodsw
        test ax, ax
        jz .com_done
        mov dx, ax
        add dx, 7
        mov al, 0x5A
        out dx, al
        in al, dx
        cmp al, 0x5A
        jne .com
        mov al, 0xA5
        out dx, al
        in al, dx
        cmp al, 0xA5
        jne .com
        sub dx, 7
        mov [di], dx
        add di, 2
        inc bx
        jmp .com
.com_done:
        ; equipment word: bits 4-5 = 10b (80x25 colour), bits 9-11 = serial ports,
        ; bit 1 = x87 present (CPUID.1:EDX.FPU)
        shl bx, 9
        or bx, 0x0020
        mov si, bx                          ; CPUID clobbers EBX
        mov eax, 1
        cpuid
        test dl, 0x01
        jz .nofpu
        or si, 0x0002
.nofpu: mov [BDA_EQUIPMENT], si

        ; ---- 8259 PICs: ICW1-4, master vectors 08h-0Fh, slave 70h-77h ----
        mov al, 0x11
        out PIC1_CMD, al
        out PIC2_CMD, al
        mov al, 0x08
        out PIC1_DATA, al
        mov al, 0x70
        out PIC2_DATA, al
        mov al, 0x04
        out PIC1_DATA, al
        mov al, 0x02
        out PIC2_DATA, al
        mov al, 0x01
        out PIC1_DATA, al
        out PIC2_DATA, al
        mov al, 0xB8                        ; unmask IRQ0 (timer), 1 (kbd), 2 (cascade), 6 (fdc)
        out PIC1_DATA, al
        mov al, 0xFF
        out PIC2_DATA, al

        ; ---- local APIC: virtual-wire mode so the 8259's INTR reaches the CPU via LINT0 ----
        call lapic_virtual_wire

        ; ---- 8254 PIT channel 0: mode 2, divisor 65536 -> 18.2 Hz ----
        mov al, 0x34
        out PIT_CMD, al
        xor al, al
        out PIT_CH0, al
        out PIT_CH0, al

        ; ---- RTC: register A = 32.768 kHz / 1024 Hz, register B = 24h BCD no interrupts ----
        mov al, 0x8A
        out CMOS_INDEX, al
        mov al, 0x26
        out CMOS_DATA, al
        mov al, 0x8B
        out CMOS_INDEX, al
        mov al, 0x02
        out CMOS_DATA, al
        mov al, 0x8C
        out CMOS_INDEX, al
        in al, CMOS_DATA
        mov al, 0x8D
        out CMOS_INDEX, al
        in al, CMOS_DATA

        ; ---- COM1: 115200 8N1, FIFO on, no interrupts. Prints nothing. ----
        mov dx, COM1 + 1
        xor al, al
        out dx, al
        mov dx, COM1 + 3
        mov al, 0x80
        out dx, al
        mov dx, COM1
        mov al, 1
        out dx, al
        inc dx
        xor al, al
        out dx, al
        mov dx, COM1 + 3
        mov al, 0x03
        out dx, al
        mov dx, COM1 + 2
        mov al, 0x07
        out dx, al
        mov dx, COM1 + 4
        mov al, 0x03
        out dx, al

        ; ---- i8042: drain, controller command byte = XLATE | SYS | KBD_INT, mouse off ----
        call kbc_drain
        mov al, 0x60
        call kbc_write_cmd
        mov al, 0x65
        call kbc_write_data
        mov al, 0xAE                        ; enable keyboard interface
        call kbc_write_cmd
        call kbc_drain

        ; ---- memory size ----
        call detect_memory

        ; ---- drives ----
        call detect_floppy
        call detect_disk

        ; ---- video: clear the text screen ----
        call video_clear_screen

        ; NMI back on
        mov al, 0x0D
        out CMOS_INDEX, al
        in al, CMOS_DATA

        ; banner on the debug console only
        mov si, str_banner
        call debugcon_puts

        sti
        int 0x19
        ; int 19h never returns
.hang:  cli
        hlt
        jmp .hang

com_bases: dw 0x3F8, 0x2F8, 0x3E8, 0x2E8, 0

; ---------------------------------------------------------------------------------------------
; i8042 helpers (bounded waits)
kbc_wait_write:                             ; wait for input buffer empty
        push cx
        mov cx, 0xFFFF
.l:     in al, KBD_STATUS
        test al, 0x02
        jz .ok
        loop .l
.ok:    pop cx
        ret
kbc_write_cmd:
        push ax
        call kbc_wait_write
        pop ax
        out KBD_STATUS, al
        ret
kbc_write_data:
        push ax
        call kbc_wait_write
        pop ax
        out KBD_DATA, al
        ret
kbc_drain:
        push cx
        mov cx, 64
.l:     in al, KBD_STATUS
        test al, 0x01
        jz .done
        in al, KBD_DATA
        loop .l
.done:  pop cx
        ret

; ---------------------------------------------------------------------------------------------
; lapic_virtual_wire: at reset every LVT entry is masked, so 8259 interrupts would never reach
; the CPU.  As a PC BIOS does, software-enable the local APIC (SVR) and program LINT0 = ExtINT,
; LINT1 = NMI.  The APIC page (IA32_APIC_BASE, normally 0xFEE00000) lies above 1 MiB, so the
; three stores are done during a brief trip through protected mode with FS = a flat 4 GiB data
; segment (CS keeps its real-mode cache: it is never reloaded); FS is restored in real mode.
; Skipped when CPUID.1:EDX.APIC[bit 9] is clear.
lapic_virtual_wire:
        pushfd
        cli
        push fs
        mov eax, 1
        cpuid
        test edx, 1 << 9
        jz .none
        mov ecx, 0x1B                       ; IA32_APIC_BASE
        rdmsr
        and eax, 0xFFFFF000
        mov esi, eax
        o32 lgdt [cs:bigreal_gdt_desc]
        mov eax, cr0
        or al, 1
        mov cr0, eax
        jmp short .pm
.pm:    mov bx, 0x08
        mov fs, bx
        mov dword [fs:esi + 0xF0], 0x000001FF    ; SVR: APIC software enable, spurious vector 0xFF
        mov dword [fs:esi + 0x350], 0x00000700   ; LVT LINT0: ExtINT
        mov dword [fs:esi + 0x360], 0x00000400   ; LVT LINT1: NMI
        and al, 0xFE
        mov cr0, eax
        jmp short .none
.none:  pop fs
        popfd
        ret

        align 8
bigreal_gdt:
        dq 0
        dq 0x00CF93000000FFFF               ; 0x08: data, base 0, 4 GiB, accessed (the ROM GDT is never written)
bigreal_gdt_desc:
        dw 15
        dd 0xF0000 + bigreal_gdt

; ---------------------------------------------------------------------------------------------
; CMOS read: AL = index -> AL = value (NMI stays as programmed: bit 7 of the index clear)
cmos_read:
        out CMOS_INDEX, al
        in al, CMOS_DATA
        ret

; ---------------------------------------------------------------------------------------------
; detect_memory: EBDA.MEM_TOP = end of RAM below 4 GiB.
; Prefers QEMU fw_cfg FW_CFG_RAM_SIZE (when the signature reads "QEMU" and the size lies below
; the PCI hole), else CMOS 0x34/0x35 (64 KiB units above 16 MiB), else 0x30/0x31 (KiB above 1 MiB).
detect_memory:
        push es
        mov ax, EBDA_SEG
        mov es, ax
        ; fw_cfg signature
        mov dx, FWCFG_SEL
        xor ax, ax
        out dx, ax
        mov dx, FWCFG_DATA
        in al, dx
        mov bl, al
        in al, dx
        mov bh, al
        in al, dx
        mov cl, al
        in al, dx
        mov ch, al
        cmp bx, 'QE'
        jne .cmos
        cmp cx, 'MU'
        jne .cmos
        mov byte [es:EBDA_FWCFG], 1
        mov dx, FWCFG_SEL
        mov ax, 0x0003                      ; FW_CFG_RAM_SIZE (u64 little endian)
        out dx, ax
        mov dx, FWCFG_DATA
        call fwcfg_read32
        mov ebx, eax
        call fwcfg_read32
        test eax, eax
        jnz .cmos                           ; >= 4 GiB: the split is the board's; use CMOS
        cmp ebx, 0xE0000000
        jae .cmos
        cmp ebx, 0x00200000
        jb .cmos
        mov [es:EBDA_MEM_TOP], ebx
        jmp .done
.cmos:  mov al, 0x35
        call cmos_read
        mov ah, al
        mov al, 0x34
        call cmos_read
        test ax, ax
        jz .ext
        movzx ebx, ax
        shl ebx, 16
        add ebx, 0x01000000
        mov [es:EBDA_MEM_TOP], ebx
        jmp .done
.ext:   mov al, 0x31
        call cmos_read
        mov ah, al
        mov al, 0x30
        call cmos_read
        movzx ebx, ax
        shl ebx, 10
        add ebx, 0x00100000
        mov [es:EBDA_MEM_TOP], ebx
.done:  pop es
        ret

fwcfg_read32:                               ; DX = data port -> EAX
        push cx
        mov cx, 4
.l:     in al, dx
        ror eax, 8
        loop .l
        pop cx
        ret

; ---------------------------------------------------------------------------------------------
debugcon_puts:                              ; CS:SI = NUL-terminated string -> port 0xE9
        push ax
.l:     cs lodsb
        test al, al
        jz .d
        out DEBUGCON, al
        jmp .l
.d:     pop ax
        ret

serial_putc:                                ; AL -> COM1 (bounded THRE poll)
        push dx
        push cx
        push ax
        mov dx, COM1 + 5
        mov cx, 0xFFFF
.w:     in al, dx
        test al, 0x20
        jnz .go
        loop .w
.go:    pop ax
        mov dx, COM1
        out dx, al
        pop cx
        pop dx
        ret

error_puts:                                 ; CS:SI -> debug console and COM1
        push ax
.l:     cs lodsb
        test al, al
        jz .d
        out DEBUGCON, al
        call serial_putc
        jmp .l
.d:     pop ax
        ret

; =============================================================================================
; Interrupt handlers: IRQs
; =============================================================================================
default_iret:
        iret

irq_master_eoi:                             ; IRQ2-5, 7 (unused)
        push ax
        mov al, 0x20
        out PIC1_CMD, al
        pop ax
        iret

irq_slave_eoi:                              ; IRQ9-15 (unused)
        push ax
        mov al, 0x20
        out PIC2_CMD, al
        out PIC1_CMD, al
        pop ax
        iret

; int 08h -- IRQ0: tick count, midnight rollover, floppy motor timeout, int 1Ch
irq0_handler:
        push ds
        push eax
        push dx
        xor ax, ax
        mov ds, ax
        mov eax, [BDA_TICKS]
        inc eax
        cmp eax, 0x001800B0                 ; ticks per day
        jb .store
        xor eax, eax
        mov byte [BDA_MIDNIGHT], 1
.store: mov [BDA_TICKS], eax
        cmp byte [BDA_FD_MOTOR_TICKS], 0
        je .nomotor
        dec byte [BDA_FD_MOTOR_TICKS]
        jnz .nomotor
        and byte [BDA_FD_MOTOR], 0xF0
        mov dx, FDC_DOR
        mov al, 0x0C                        ; motors off, DMA on, not reset
        out dx, al
.nomotor:
        int 0x1C
        mov al, 0x20
        out PIC1_CMD, al
        pop dx
        pop eax
        pop ds
        iret

; int 0Eh -- IRQ6: floppy controller
irq6_handler:
        push ds
        push ax
        xor ax, ax
        mov ds, ax
        or byte [BDA_FD_RECAL], 0x80
        mov al, 0x20
        out PIC1_CMD, al
        pop ax
        pop ds
        iret

; int 70h -- IRQ8: RTC; acknowledge by reading register C
irq8_handler:
        push ax
        mov al, 0x0C
        out CMOS_INDEX, al
        in al, CMOS_DATA
        mov al, 0x20
        out PIC2_CMD, al
        out PIC1_CMD, al
        pop ax
        iret

; =============================================================================================
; int 11h, 12h
; =============================================================================================
int11_handler:
        push ds
        xor ax, ax
        mov ds, ax
        mov ax, [BDA_EQUIPMENT]
        pop ds
        iret

int12_handler:
        push ds
        xor ax, ax
        mov ds, ax
        mov ax, [BDA_MEM_KIB]
        pop ds
        iret

; =============================================================================================
; int 18h / 19h -- boot
; =============================================================================================
int18_handler:
        xor ax, ax
        mov ds, ax
        mov si, str_noboot
        call error_puts
.h:     cli
        hlt
        jmp .h

; Boot order: CMOS 0x3D (low nibble first, high nibble second) and 0x38 high nibble third,
; as QEMU writes them from -boot (1 = floppy, 2 = hard disk, 3 = CD-ROM, 4 = network).
; With no order recorded, try the floppy then the hard disk.  CMOS 0x38 bit 0 set means
; "do not check the 0x55AA signature of floppies".
int19_handler:
        sti
        cld
        xor ax, ax
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov sp, 0x7C00
        mov al, 0x3D
        call cmos_read
        mov bl, al
        mov al, 0x38
        call cmos_read
        mov bh, al                          ; bh = 0x38
        mov cl, bl
        and cl, 0x0F
        jz .default
        call boot_try                       ; first
        mov cl, bl
        shr cl, 4
        call boot_try                       ; second
        mov cl, bh
        shr cl, 4
        call boot_try                       ; third
        int 0x18
.default:
        mov cl, 1
        call boot_try
        mov cl, 2
        call boot_try
        int 0x18

; boot_try: CL = device code; returns only on failure.  BH = CMOS 0x38 (bit 0: skip fd check).
boot_try:
        push bx
        cmp cl, 1
        je .fd
        cmp cl, 2
        je .hd
        pop bx
        ret
.fd:    mov dl, 0x00
        jmp .load
.hd:    mov dl, 0x80
.load:  mov di, 3                           ; attempts
.again: xor ax, ax
        mov es, ax
        mov ax, 0x0201
        mov bx, 0x7C00
        mov cx, 0x0001
        xor dh, dh
        push dx
        push di
        int 0x13
        pop di
        pop dx
        jnc .loaded
        xor ah, ah                          ; reset and retry
        push dx
        push di
        int 0x13
        pop di
        pop dx
        dec di
        jnz .again
        pop bx
        ret
.loaded:
        pop bx
        push bx
        test dl, dl
        jnz .sig
        test bh, 0x01
        jnz .go
.sig:   cmp word [0x7DFE], 0xAA55
        je .go
        pop bx
        ret
.go:    pop bx
        push es
        mov ax, EBDA_SEG
        mov es, ax
        mov [es:EBDA_BOOT_DRIVE], dl
        pop es
        xor ax, ax
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov sp, 0x7C00
        xor bx, bx
        xor cx, cx
        xor si, si
        xor di, di
        xor bp, bp
        xor dh, dh
        sti
        jmp 0x0000:0x7C00

; =============================================================================================
; int 15h -- system services
; =============================================================================================
int15_handler:
        ENTER_FRAME
        xor ax, ax
        mov ds, ax
        mov ax, [FR_AX]
        cmp ax, 0xE820
        je int15_e820
        cmp ax, 0xE801
        je int15_e801
        cmp ax, 0x2400
        je int15_a20_off
        cmp ax, 0x2401
        je int15_a20_on
        cmp ax, 0x2402
        je int15_a20_status
        cmp ax, 0x2403
        je int15_a20_support
        cmp ah, 0x88
        je int15_88
        cmp ah, 0xC0
        je int15_c0
        cmp ah, 0x4F
        je int15_4f
        cmp ah, 0x90
        je int15_ok
        cmp ah, 0x91
        je int15_ok
int15_unsupported:
        mov byte [FR_AH], 0x86
        SET_CF
        LEAVE_FRAME
int15_ok:
        mov byte [FR_AH], 0
        CLEAR_CF
        LEAVE_FRAME

int15_4f:                                   ; keyboard intercept: process the key (CF=1)
        SET_CF
        LEAVE_FRAME

int15_c0:
        mov word [FR_ES], 0xF000
        mov word [FR_BX], system_config_table
        jmp int15_ok

int15_a20_off:
        in al, PORT_A20
        and al, 0xFC
        out PORT_A20, al
        jmp int15_ok
int15_a20_on:
        in al, PORT_A20
        or al, 0x02
        and al, 0xFE
        out PORT_A20, al
        jmp int15_ok
int15_a20_status:
        in al, PORT_A20
        shr al, 1
        and al, 1
        mov [FR_AL], al
        jmp int15_ok
int15_a20_support:
        mov word [FR_BX], 0x0002            ; port 0x92 (fast A20) supported
        jmp int15_ok

; AH=88h: KiB of extended memory (above 1 MiB), saturated at 0xFFFF
int15_88:
        call get_mem_top
        sub eax, 0x00100000
        shr eax, 10
        cmp eax, 0xFFFF
        jbe .s
        mov ax, 0xFFFF
.s:     mov [FR_AX], ax
        CLEAR_CF
        LEAVE_FRAME

; AX=E801h: AX=CX = KiB 1..16 MiB (max 0x3C00), BX=DX = 64 KiB blocks above 16 MiB
int15_e801:
        call get_mem_top
        mov ebx, eax
        sub eax, 0x00100000
        shr eax, 10
        cmp eax, 0x3C00
        jbe .lo
        mov eax, 0x3C00
.lo:    mov [FR_AX], ax
        mov [FR_CX], ax
        xor eax, eax
        cmp ebx, 0x01000000
        jbe .hi
        mov eax, ebx
        sub eax, 0x01000000
        shr eax, 16
.hi:    mov [FR_BX], ax
        mov [FR_DX], ax
        CLEAR_CF
        LEAVE_FRAME

get_mem_top:                                ; -> EAX (clobbers nothing else)
        push es
        mov ax, EBDA_SEG
        mov es, ax
        mov eax, [es:EBDA_MEM_TOP]
        pop es
        ret

; AX=E820h: EDX='SMAP', EBX=continuation, ES:DI=buffer, ECX>=20.
; Map: 0..9FC00 RAM, 9FC00..A0000 reserved (EBDA), F0000..100000 reserved (BIOS),
;      100000..top RAM, FFFC0000..100000000 reserved (BIOS flash alias).
int15_e820:
        cmp dword [FR_EDX], 0x534D4150
        jne .bad
        cmp dword [FR_ECX], 20
        jb .bad
        mov ebx, [FR_EBX]
        cmp ebx, 5
        jae .bad
        mov di, [FR_DI]
        mov es, [FR_ES]
        ; base/length/type from the table, entry 3 computed from MEM_TOP
        mov si, bx
        imul si, si, 12
        add si, e820_table
        cs lodsd                            ; base
        mov [es:di], eax
        mov dword [es:di + 4], 0
        cs lodsd                            ; length
        cmp bx, 3
        jne .len
        call get_mem_top
        sub eax, 0x00100000
.len:   mov [es:di + 8], eax
        mov dword [es:di + 12], 0
        cs lodsd                            ; type
        mov [es:di + 16], eax
        mov dword [FR_EAX], 0x534D4150
        mov dword [FR_ECX], 20
        inc ebx
        cmp ebx, 5
        jb .more
        xor ebx, ebx
.more:  mov [FR_EBX], ebx
        CLEAR_CF
        LEAVE_FRAME
.bad:   mov byte [FR_AH], 0x86
        SET_CF
        LEAVE_FRAME

e820_table:
        dd 0x00000000, 0x0009FC00, 1
        dd 0x0009FC00, 0x00000400, 2
        dd 0x000F0000, 0x00010000, 2
        dd 0x00100000, 0,          1
        dd 0xFFFC0000, 0x00040000, 2

system_config_table:
        dw 8                                ; bytes following
        db 0xFC                             ; model: AT
        db 0x00                             ; submodel
        db 0x01                             ; BIOS revision
        db 0x70                             ; feature 1: 2nd 8259, RTC, int 15h/4Fh called... (bits 6,5,4)
        db 0x00, 0x00, 0x00, 0x00

; =============================================================================================
; int 16h -- keyboard
; =============================================================================================
int16_handler:
        ENTER_FRAME
        xor ax, ax
        mov ds, ax
        mov ah, [FR_AH]
        and ah, 0xEF                        ; 10h/11h/12h behave as 00h/01h/02h
        cmp ah, 0x00
        je .read
        cmp ah, 0x01
        je .peek
        cmp ah, 0x02
        je .flags
        cmp ah, 0x05
        je .store
        LEAVE_FRAME
.read:  cli
        mov bx, [BDA_KBD_HEAD]
        cmp bx, [BDA_KBD_TAIL]
        jne .got
        sti
        hlt
        jmp .read
.got:   mov ax, [bx + 0x400]
        mov [FR_AX], ax
        add bx, 2
        cmp bx, [BDA_KBD_END]
        jb .w
        mov bx, [BDA_KBD_START]
.w:     mov [BDA_KBD_HEAD], bx
        sti
        LEAVE_FRAME
.peek:  mov bx, [BDA_KBD_HEAD]
        cmp bx, [BDA_KBD_TAIL]
        je .empty
        mov ax, [bx + 0x400]
        mov [FR_AX], ax
        CLEAR_ZF
        LEAVE_FRAME
.empty: SET_ZF
        LEAVE_FRAME
.flags: mov al, [BDA_KBD_FLAGS]
        mov [FR_AL], al
        LEAVE_FRAME
.store: mov ax, [FR_CX]
        call kbd_enqueue
        mov byte [FR_AL], 0
        jnc .s1
        mov byte [FR_AL], 1
.s1:    LEAVE_FRAME

; kbd_enqueue: AX = scan<<8 | ascii; DS = 0.  CF=1 if the buffer is full.
kbd_enqueue:
        push bx
        push si
        mov bx, [BDA_KBD_TAIL]
        mov si, bx
        add si, 2
        cmp si, [BDA_KBD_END]
        jb .n
        mov si, [BDA_KBD_START]
.n:     cmp si, [BDA_KBD_HEAD]
        je .full
        mov [bx + 0x400], ax
        mov [BDA_KBD_TAIL], si
        clc
        pop si
        pop bx
        ret
.full:  stc
        pop si
        pop bx
        ret

; int 09h -- IRQ1: scancode set 1 (translated) -> BDA keyboard buffer
irq1_handler:
        push ds
        push ax
        push bx
        xor ax, ax
        mov ds, ax
        in al, KBD_DATA
        cmp al, 0xE0
        je .e0
        mov ah, al
        and ah, 0x7F
        ; modifiers
        mov bl, 0x02                        ; left shift
        cmp ah, 0x2A
        je .mod
        mov bl, 0x01                        ; right shift
        cmp ah, 0x36
        je .mod
        mov bl, 0x04                        ; ctrl
        cmp ah, 0x1D
        je .mod
        mov bl, 0x08                        ; alt
        cmp ah, 0x38
        je .mod
        test al, 0x80
        jnz .done                           ; other break codes
        cmp al, 0x3A                        ; caps lock toggles
        jne .key
        xor byte [BDA_KBD_FLAGS], 0x40
        jmp .done
.key:   cmp al, scancode_max
        ja .fkey
        movzx bx, al
        test byte [BDA_KBD_FLAGS], 0x03
        jz .noshift
        mov al, [cs:bx + scancode_shift]
        jmp .have
.noshift:
        mov al, [cs:bx + scancode_normal]
.have:  test al, al
        jz .done
        ; caps lock swaps case of letters
        test byte [BDA_KBD_FLAGS], 0x40
        jz .ctrl
        mov bh, al
        or bh, 0x20
        cmp bh, 'a'
        jb .ctrl
        cmp bh, 'z'
        ja .ctrl
        xor al, 0x20
.ctrl:  test byte [BDA_KBD_FLAGS], 0x04
        jz .q
        and al, 0x1F
.q:     mov ah, bl                          ; scancode (BL still = scancode, BH unused)
        call kbd_enqueue
        jmp .done
.mod:   test al, 0x80
        jnz .rel
        or [BDA_KBD_FLAGS], bl
        jmp .done
.rel:   not bl
        and [BDA_KBD_FLAGS], bl
        jmp .done
.fkey:  ; F1-F10, Home/Up/PgUp/Left/Right/End/Down/PgDn/Ins/Del (and the keypad): ASCII 0
        cmp al, 0x3B
        jb .done
        cmp al, 0x53
        ja .done
        mov ah, al
        xor al, al
        call kbd_enqueue
        jmp .done
.e0:    ; extended prefix: the next byte is treated like its non-extended twin
.done:  mov al, 0x20
        out PIC1_CMD, al
        pop bx
        pop ax
        pop ds
        iret

scancode_normal:
        db 0, 27, '1234567890-=', 8, 9
        db 'qwertyuiop[]', 13, 0, 'asdfghjkl;', 39, '`', 0, '\'
        db 'zxcvbnm,./', 0, '*', 0, ' '
scancode_max equ $ - scancode_normal - 1
scancode_shift:
        db 0, 27, '!@#$%^&*()_+', 8, 9
        db 'QWERTYUIOP{}', 13, 0, 'ASDFGHJKL:"~', 0, '|'
        db 'ZXCVBNM<>?', 0, '*', 0, ' '

; =============================================================================================
; int 1Ah -- time of day
; =============================================================================================
int1a_handler:
        ENTER_FRAME
        xor ax, ax
        mov ds, ax
        mov ah, [FR_AH]
        cmp ah, 0x00
        je .ticks
        cmp ah, 0x01
        je .setticks
        cmp ah, 0x02
        je .time
        cmp ah, 0x03
        je .settime
        cmp ah, 0x04
        je .date
        cmp ah, 0x05
        je .setdate
        SET_CF
        LEAVE_FRAME
.ticks: cli
        mov ax, [BDA_TICKS]
        mov [FR_DX], ax
        mov ax, [BDA_TICKS + 2]
        mov [FR_CX], ax
        mov al, [BDA_MIDNIGHT]
        mov [FR_AL], al
        mov byte [BDA_MIDNIGHT], 0
        sti
        CLEAR_CF
        LEAVE_FRAME
.setticks:
        cli
        mov ax, [FR_DX]
        mov [BDA_TICKS], ax
        mov ax, [FR_CX]
        mov [BDA_TICKS + 2], ax
        mov byte [BDA_MIDNIGHT], 0
        sti
        CLEAR_CF
        LEAVE_FRAME
.time:  call rtc_wait_uip
        mov al, 0x00
        call cmos_read
        mov [FR_DH], al
        mov al, 0x02
        call cmos_read
        mov [FR_CL], al
        mov al, 0x04
        call cmos_read
        mov [FR_CH], al
        mov al, 0x0B
        call cmos_read
        and al, 0x01
        mov [FR_DL], al
        CLEAR_CF
        LEAVE_FRAME
.date:  call rtc_wait_uip
        mov al, 0x07
        call cmos_read
        mov [FR_DL], al
        mov al, 0x08
        call cmos_read
        mov [FR_DH], al
        mov al, 0x09
        call cmos_read
        mov [FR_CL], al
        mov al, 0x32
        call cmos_read
        mov [FR_CH], al
        CLEAR_CF
        LEAVE_FRAME
.settime:
        call rtc_set_begin
        mov ah, [FR_DH]
        mov al, 0x00
        call cmos_write
        mov ah, [FR_CL]
        mov al, 0x02
        call cmos_write
        mov ah, [FR_CH]
        mov al, 0x04
        call cmos_write
        call rtc_set_end
        CLEAR_CF
        LEAVE_FRAME
.setdate:
        call rtc_set_begin
        mov ah, [FR_DL]
        mov al, 0x07
        call cmos_write
        mov ah, [FR_DH]
        mov al, 0x08
        call cmos_write
        mov ah, [FR_CL]
        mov al, 0x09
        call cmos_write
        mov ah, [FR_CH]
        mov al, 0x32
        call cmos_write
        call rtc_set_end
        CLEAR_CF
        LEAVE_FRAME

cmos_write:                                 ; AL = index, AH = value
        out CMOS_INDEX, al
        mov al, ah
        out CMOS_DATA, al
        ret
rtc_set_begin:                              ; register B |= SET
        mov al, 0x0B
        call cmos_read
        or al, 0x80
        mov ah, al
        mov al, 0x0B
        jmp cmos_write
rtc_set_end:
        mov al, 0x0B
        call cmos_read
        and al, 0x7F
        mov ah, al
        mov al, 0x0B
        jmp cmos_write
rtc_wait_uip:                               ; wait (bounded) for register A UIP = 0
        push cx
        mov cx, 0xFFFF
.l:     mov al, 0x0A
        call cmos_read
        test al, 0x80
        jz .d
        loop .l
.d:     pop cx
        ret

%include "video.inc"
%include "disk.inc"

; =============================================================================================
; Tables and strings
; =============================================================================================
ivt_table:
        dw 0x08, irq0_handler
        dw 0x09, irq1_handler
        dw 0x0A, irq_master_eoi
        dw 0x0B, irq_master_eoi
        dw 0x0C, irq_master_eoi
        dw 0x0D, irq_master_eoi
        dw 0x0E, irq6_handler
        dw 0x0F, irq_master_eoi
        dw 0x10, int10_handler
        dw 0x11, int11_handler
        dw 0x12, int12_handler
        dw 0x13, int13_handler
        dw 0x15, int15_handler
        dw 0x16, int16_handler
        dw 0x18, int18_handler
        dw 0x19, int19_handler
        dw 0x1A, int1a_handler
        dw 0x70, irq8_handler
        dw 0x71, irq_slave_eoi
        dw 0x72, irq_slave_eoi
        dw 0x73, irq_slave_eoi
        dw 0x74, irq_slave_eoi
        dw 0x75, irq_slave_eoi
        dw 0x76, irq_slave_eoi
        dw 0x77, irq_slave_eoi
        dw 0xFFFF

str_banner: db "vtx BIOS", 13, 10, 0
str_noboot: db "No bootable device", 13, 10, 0

; ---- fixed addresses of the PC/AT BIOS -------------------------------------------------------
        times 0xE05B - ($ - $$) db 0xFF
post_entry:                                 ; F000:E05B, the traditional POST entry
        jmp post

        times 0xEFC7 - ($ - $$) db 0xFF
diskette_param_table:                       ; F000:EFC7 (int 1Eh), 1.44 MB values
        db 0xAF                             ; step rate 0xA, head unload 0xF
        db 0x02                             ; head load 1, DMA mode
        db 0x25                             ; motor-off delay (ticks)
        db 0x02                             ; 512-byte sectors
        db 18                               ; sectors per track
        db 0x1B                             ; gap length
        db 0xFF                             ; data length
        db 0x6C                             ; format gap
        db 0xF6                             ; format fill byte
        db 0x0F                             ; head settle (ms)
        db 0x08                             ; motor start (1/8 s)

        times 0xFFF0 - ($ - $$) db 0xFF
reset_vector:                               ; F000:FFF0 (also 0xFFFFFFF0)
        jmp 0xF000:post
        db "01/01/26"                       ; BIOS date at F000:FFF5
        db 0x00
        db 0xFC                             ; model byte at F000:FFFE (AT)
        db 0x00                             ; checksum slot
