; vmexit.asm -- vtx "vmexit" guest: kvm-unit-tests-style exit-cost measurement.
;
; Load protocol: boot image (floppy or hard disk; boot32.inc loads it and enters 32-bit
; protected mode, paging off).
; For each test the guest runs the instruction ITER times (ITER_HLT for hlt) between two
; RDTSCs, subtracts the cost of an empty iteration, and prints "<name> <TSC cycles per
; iteration>" on COM1.  Tests: cpuid, vmcall (only when VMCALL does not raise #UD: it does
; under QEMU TCG, which has no VMX; CPUID.1:ECX.VMX[bit 5] is reported too), mov_to_cr0,
; mov_to_cr3, mov_to_cr4, mov_to_dr7, inb_0x61, outb_0x80, mmio_ioapic (read 0xFEC00010),
; mmio_lapic (read 0xFEE00030), rdmsr_apicbase, wrmsr_apicbase (same value written back),
; hlt_irq0 (HLT woken by PIT IRQ0 at 10 kHz: dominated by the timer period).
; The numbers differ on every machine and run: no golden output is recorded for this guest.
; Exit: isa-debug-exit with 0 (QEMU status 1).
; Build: nasm -f bin -o vmexit.img vmexit.asm   (-DITER=..., -DITER_HLT=...)

%ifndef ITER
%define ITER 1000
%endif
%ifndef ITER_HLT
%define ITER_HLT 100
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
        mov eax, 6                          ; #UD
        mov edx, ud_handler
        call set_gate

        mov eax, 1
        cpuid
        mov esi, s_vmx
        call puts32
        mov eax, ecx
        shr eax, 5
        and eax, 1
        call putdec32
        call crlf32

        mov ecx, 0x1B
        rdmsr
        mov [apicbase_lo], eax
        mov [apicbase_hi], edx
        mov dword [0xFEC00000], 0x01        ; IOAPICVER selected for the mmio test

        ; empty-iteration cost
        mov ebx, t_empty
        mov ecx, ITER
        call measure
        mov [overhead], eax

        ; probe VMCALL once
        mov dword [ud_hit], 0
        mov dword [ud_armed], 1
        xor eax, eax
        vmcall
        mov dword [ud_armed], 0

        mov esi, tests
.next:  lodsd
        test eax, eax
        jz .done
        mov edi, eax                        ; name
        lodsd
        mov ebx, eax                        ; routine
        push esi
        mov esi, edi
        call puts32
        mov al, ' '
        call putc32
        cmp ebx, t_vmcall
        jne .run
        cmp dword [ud_hit], 0
        je .run
        mov esi, s_na
        call puts32
        jmp .eol
.run:   mov ecx, ITER
        cmp ebx, t_hlt
        jne .m
        call hlt_setup
        mov ecx, ITER_HLT
.m:     call measure
        sub eax, [overhead]
        jns .p
        xor eax, eax
.p:     call putdec32
        cmp ebx, t_hlt
        jne .eol
        call hlt_teardown
.eol:   call crlf32
        pop esi
        jmp .next
.done:  mov esi, s_done
        call puts32
        xor al, al
        jmp qemu_exit32

; measure: EBX = routine, ECX = iterations -> EAX = TSC cycles per iteration (floor)
measure:
        push ebx
        push ecx
        push edx
        push esi
        push edi
        push ebp
        mov ebp, ecx
        mov [m_iter], ecx
        call ebx                            ; warm up
        call ebx
        rdtsc
        mov [m_start], eax
        mov [m_start + 4], edx
.l:     call ebx
        dec ebp
        jnz .l
        rdtsc
        sub eax, [m_start]
        sbb edx, [m_start + 4]
        cmp edx, [m_iter]                   ; quotient would overflow 32 bits
        jae .big
        div dword [m_iter]
        jmp .r
.big:   mov eax, 0xFFFFFFFF
.r:     pop ebp
        pop edi
        pop esi
        pop edx
        pop ecx
        pop ebx
        ret

t_empty:
        ret
t_cpuid:
        push ebx
        xor eax, eax
        cpuid
        pop ebx
        ret
t_vmcall:
        xor eax, eax
        vmcall
        ret
t_cr0:  mov eax, cr0
        mov cr0, eax
        ret
t_cr3:  mov eax, cr3
        mov cr3, eax
        ret
t_cr4:  mov eax, cr4
        mov cr4, eax
        ret
t_dr7:  mov eax, dr7
        mov dr7, eax
        ret
t_in:   in al, 0x61
        ret
t_out:  mov al, 0
        out 0x80, al
        ret
t_ioapic:
        mov eax, [0xFEC00010]
        ret
t_lapic:
        mov eax, [0xFEE00030]
        ret
t_rdmsr:
        push ecx
        push edx
        mov ecx, 0x1B
        rdmsr
        pop edx
        pop ecx
        ret
t_wrmsr:
        push ecx
        push edx
        mov ecx, 0x1B
        mov eax, [apicbase_lo]
        mov edx, [apicbase_hi]
        wrmsr
        pop edx
        pop ecx
        ret
t_hlt:  sti
        hlt
        cli
        ret

hlt_setup:
        push eax
        mov eax, 119                        ; 10 kHz
        call pit0_mode2
        mov al, 0xFE
        out 0x21, al
        pop eax
        ret
hlt_teardown:
        push eax
        mov al, 0xFF
        out 0x21, al
        pop eax
        ret

irq0_handler:
        push eax
        mov al, 0x20
        out 0x20, al
        pop eax
        iretd

; #UD: only expected from the VMCALL probe (3 bytes: 0F 01 C1); skip it and note the fault.
ud_handler:
        cmp dword [ud_armed], 0
        je .unexpected
        mov dword [ud_hit], 1
        add dword [esp], 3
        iretd
.unexpected:
        push dword 6
        jmp exc_common

%include "../include/serial32.inc"
%include "../include/pc32.inc"

tests:
        dd n_cpuid,  t_cpuid
        dd n_vmcall, t_vmcall
        dd n_cr0,    t_cr0
        dd n_cr3,    t_cr3
        dd n_cr4,    t_cr4
        dd n_dr7,    t_dr7
        dd n_in,     t_in
        dd n_out,    t_out
        dd n_ioapic, t_ioapic
        dd n_lapic,  t_lapic
        dd n_rdmsr,  t_rdmsr
        dd n_wrmsr,  t_wrmsr
        dd n_hlt,    t_hlt
        dd 0

n_cpuid:  db "cpuid", 0
n_vmcall: db "vmcall", 0
n_cr0:    db "mov_to_cr0", 0
n_cr3:    db "mov_to_cr3", 0
n_cr4:    db "mov_to_cr4", 0
n_dr7:    db "mov_to_dr7", 0
n_in:     db "inb_0x61", 0
n_out:    db "outb_0x80", 0
n_ioapic: db "mmio_ioapic", 0
n_lapic:  db "mmio_lapic", 0
n_rdmsr:  db "rdmsr_apicbase", 0
n_wrmsr:  db "wrmsr_apicbase", 0
n_hlt:    db "hlt_irq0", 0

s_start:  db "vmexit: start (TSC cycles per iteration, empty-loop cost subtracted)", 13, 10, 0
s_vmx:    db "vmexit: cpuid.1:ecx.vmx ", 0
s_na:     db "n/a (#UD)", 0
s_done:   db "vmexit: done", 13, 10, 0

        align 4
overhead:    dd 0
apicbase_lo: dd 0
apicbase_hi: dd 0
ud_armed:    dd 0
ud_hit:      dd 0
m_iter:      dd 0
m_start:     dd 0, 0
image_end:
        BOOT32_PAD
