; exitstorm.asm -- vtx "exitstorm" guest: a fixed storm of VM-exiting instructions for the
; benchmarks.
;
; Load protocol: boot image (floppy or hard disk; boot32.inc loads it and enters 32-bit
; protected mode, paging off).
; Phases, N iterations each (N set at build time: nasm -DN=..., default 10000):
;   cpuid      CPUID leaf 0
;   out        OUT 0x80, AL (POST-code port)
;   in         IN AL, 0x61 (system control port B)
;   mmio       32-bit read of the I/O APIC data window 0xFEC00010 (IOAPICVER selected)
;   hlt        HLT woken by PIT IRQ0 (rate generator at 10 kHz), N_HLT = N / 10 iterations
; Output on COM1: one line per phase with its iteration count -- no timing numbers, so the
; output is deterministic -- then PASS.
; Exit: isa-debug-exit with 0 (QEMU status 1); 1 (status 3) if IRQ0 never woke a HLT.
; Build: nasm -f bin -o exitstorm.img exitstorm.asm

%ifndef N
%define N 10000
%endif
%ifndef N_HLT
%define N_HLT (N / 10)
%endif

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

        ; ---- CPUID ----
        mov ebp, N
        xor edi, edi
.cpuid: xor eax, eax
        cpuid
        inc edi
        dec ebp
        jnz .cpuid
        mov esi, s_cpuid
        call report

        ; ---- OUT ----
        mov ebp, N
        xor edi, edi
        xor eax, eax
.out:   mov al, 0x55
        out 0x80, al
        inc edi
        dec ebp
        jnz .out
        mov esi, s_out
        call report

        ; ---- IN ----
        mov ebp, N
        xor edi, edi
.in:    in al, 0x61
        inc edi
        dec ebp
        jnz .in
        mov esi, s_in
        call report

        ; ---- MMIO ----
        mov dword [0xFEC00000], 0x01
        mov ebp, N
        xor edi, edi
.mmio:  mov eax, [0xFEC00010]
        inc edi
        dec ebp
        jnz .mmio
        mov esi, s_mmio
        call report

        ; ---- HLT woken by IRQ0 ----
        mov eax, 119                        ; 1.193182 MHz / 119 = 10 kHz
        call pit0_mode2
        mov al, 0xFE
        out 0x21, al
        mov ebp, N_HLT
        xor edi, edi
        sti
.hlt:   hlt
        inc edi
        dec ebp
        jnz .hlt
        cli
        mov al, 0xFF
        out 0x21, al
        mov esi, s_hlt
        call report
        mov eax, [ticks]
        cmp eax, N_HLT
        jb .fail

        mov esi, s_pass
        call puts32
        xor al, al
        jmp qemu_exit32
.fail:  mov esi, s_fail
        call puts32
        mov al, 1
        jmp qemu_exit32

; report: ESI = phase name, EDI = iterations
report:
        push esi
        mov esi, s_prefix
        call puts32
        pop esi
        call puts32
        mov eax, edi
        call putdec32
        call crlf32
        ret

irq0_handler:
        push eax
        inc dword [ticks]
        mov al, 0x20
        out 0x20, al
        pop eax
        iretd

%include "../include/serial32.inc"
%include "../include/pc32.inc"

s_start:  db "exitstorm: start", 13, 10, 0
s_prefix: db "exitstorm: ", 0
s_cpuid:  db "cpuid ", 0
s_out:    db "out 0x80 ", 0
s_in:     db "in 0x61 ", 0
s_mmio:   db "mmio read 0xfec00010 ", 0
s_hlt:    db "hlt woken by irq0 ", 0
s_pass:   db "exitstorm: PASS", 13, 10, 0
s_fail:   db "exitstorm: FAIL (irq0 did not wake hlt)", 13, 10, 0
        align 4
ticks:    dd 0
image_end:
        BOOT32_PAD
