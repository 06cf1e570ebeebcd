; multiboot.asm -- vtx "multiboot" guest: a Multiboot (v1) kernel that prints what its loader
; handed over.
;
; Two binaries come from this source:
;   multiboot.elf       ELF32 executable (hand-written ELF header, one PT_LOAD at 0x100000);
;                       the loader uses the ELF program header (Multiboot flags 0x00000003).
;   multiboot-aout.bin  flat image using the "a.out kludge" (flags bit 16): the loader takes
;                       header_addr/load_addr/load_end_addr/bss_end_addr/entry_addr from the
;                       Multiboot header (flags 0x00010003).
; Load protocol: Multiboot v1 (QEMU -kernel, -append, -initrd "mod1 args,mod2"); entry in
; 32-bit protected mode, paging off, EAX = 0x2BADB002, EBX = physical address of the info.
; Output on COM1 (port I/O): magic, info flags, mem_lower/mem_upper, boot loader name,
; command line, every memory-map entry, every module (size, command line, leading bytes),
; then PASS.  Module and info addresses are not printed: they depend on loader placement.
; Exit: isa-debug-exit with 0 on PASS (QEMU status 1), 1 on FAIL (status 3).
; Build: nasm -f bin -o multiboot.elf multiboot.asm
;        nasm -f bin -o multiboot-aout.bin multiboot-aout.asm   (defines AOUT, includes this file)

        bits 32
        org 0x100000

MB_MAGIC    equ 0x1BADB002
%ifdef AOUT
MB_FLAGS    equ 0x00010003      ; page-align modules, memory info, address fields valid
%else
MB_FLAGS    equ 0x00000003      ; page-align modules, memory info
%endif
STACK_SIZE  equ 0x4000

file_start:
%ifndef AOUT
; ---- ELF32 header --------------------------------------------------------------------------
ehdr:
        db 0x7F, "ELF", 1, 1, 1, 0          ; ELFCLASS32, ELFDATA2LSB, EV_CURRENT, SYSV
        times 8 db 0
        dw 2                                ; e_type: ET_EXEC
        dw 3                                ; e_machine: EM_386
        dd 1                                ; e_version
        dd start                            ; e_entry
        dd phdr - $$                        ; e_phoff
        dd 0                                ; e_shoff
        dd 0                                ; e_flags
        dw ehdr_size                        ; e_ehsize
        dw phdr_size                        ; e_phentsize
        dw 1                                ; e_phnum
        dw 0                                ; e_shentsize
        dw 0                                ; e_shnum
        dw 0                                ; e_shstrndx
ehdr_size equ $ - ehdr
phdr:
        dd 1                                ; p_type: PT_LOAD
        dd 0                                ; p_offset
        dd $$                               ; p_vaddr
        dd $$                               ; p_paddr
        dd file_end - $$                    ; p_filesz
        dd bss_end - $$                     ; p_memsz
        dd 7                                ; p_flags: R W X
        dd 0x1000                           ; p_align
phdr_size equ $ - phdr
%endif

        align 4
mb_header:
        dd MB_MAGIC
        dd MB_FLAGS
        dd -(MB_MAGIC + MB_FLAGS)
%ifdef AOUT
        dd mb_header                        ; header_addr
        dd $$                               ; load_addr
        dd file_end                         ; load_end_addr
        dd bss_end                          ; bss_end_addr
        dd start                            ; entry_addr
%endif

start:
        cld
        mov esp, stack_top
        mov [mb_magic], eax
        mov [mb_info], ebx
        call serial_init32

        mov esi, s_hello
        call puts32
        mov eax, [mb_magic]
        call puthex32
        call crlf32
        cmp dword [mb_magic], 0x2BADB002
        jne fail

        mov ebx, [mb_info]
        mov esi, s_flags
        call puts32
        mov eax, [ebx]
        call puthex32
        call crlf32

        ; flags bit 0: mem_lower / mem_upper
        test dword [ebx], 1 << 0
        jz .nomem
        mov esi, s_mem
        call puts32
        mov eax, [ebx + 4]
        call putdec32
        mov esi, s_mem2
        call puts32
        mov eax, [ebx + 8]
        call putdec32
        mov esi, s_kib
        call puts32
.nomem:
        ; flags bit 9: boot loader name
        test dword [ebx], 1 << 9
        jz .noname
        mov esi, s_name
        call puts32
        mov esi, [ebx + 64]
        call puts32
        call crlf32
.noname:
        ; flags bit 2: command line
        test dword [ebx], 1 << 2
        jz .nocmd
        mov esi, s_cmdline
        call puts32
        mov esi, [ebx + 16]
        call puts32
        mov al, '"'
        call putc32
        call crlf32
.nocmd:
        ; flags bit 6: memory map
        test dword [ebx], 1 << 6
        jz .nommap
        mov esi, [ebx + 48]                 ; mmap_addr
        mov edi, esi
        add edi, [ebx + 44]                 ; mmap_length
        xor ecx, ecx
.mm:    cmp esi, edi
        jae .mmdone
        push esi
        mov esi, s_mmap
        call puts32
        pop esi
        mov eax, ecx
        call putdec32
        push esi
        mov esi, s_base
        call puts32
        pop esi
        mov eax, [esi + 8]                  ; base high
        call puthex32
        mov eax, [esi + 4]                  ; base low
        call puthex_digits
        push esi
        mov esi, s_len
        call puts32
        pop esi
        mov eax, [esi + 16]
        call puthex32
        mov eax, [esi + 12]
        call puthex_digits
        push esi
        mov esi, s_type
        call puts32
        pop esi
        mov eax, [esi + 20]
        call putdec32
        call crlf32
        inc ecx
        add esi, [esi]                      ; size field excludes itself
        add esi, 4
        jmp .mm
.mmdone:
.nommap:
        ; flags bit 3: modules
        test dword [ebx], 1 << 3
        jz .nomods
        mov esi, s_mods
        call puts32
        mov eax, [ebx + 20]
        call putdec32
        call crlf32
        mov edi, [ebx + 24]                 ; mods_addr
        xor ecx, ecx
.mod:   cmp ecx, [ebx + 20]
        jae .nomods
        mov esi, s_mod
        call puts32
        mov eax, ecx
        call putdec32
        mov esi, s_size
        call puts32
        mov eax, [edi + 4]
        sub eax, [edi]
        call putdec32
        mov esi, s_align
        call puts32
        mov esi, s_yes
        test dword [edi], 0xFFF
        jz .al
        mov esi, s_no
.al:    call puts32
        mov esi, s_modcmd
        call puts32
        mov esi, [edi + 8]
        call puts32
        mov esi, s_data
        call puts32
        ; leading bytes, up to 32 or the module end, non-printables as '.'
        push ecx
        mov esi, [edi]
        mov ecx, [edi + 4]
        sub ecx, esi
        cmp ecx, 32
        jbe .dl
        mov ecx, 32
.dl:    jecxz .dd
.db:    lodsb
        cmp al, 0x20
        jb .dot
        cmp al, 0x7E
        jbe .pc
.dot:   mov al, '.'
.pc:    call putc32
        loop .db
.dd:    pop ecx
        mov al, '"'
        call putc32
        call crlf32
        inc ecx
        add edi, 16
        jmp .mod
.nomods:
        mov esi, s_pass
        call puts32
        xor al, al
        jmp qemu_exit32

fail:
        mov esi, s_fail
        call puts32
        mov al, 1
        jmp qemu_exit32

; puthex_digits: EAX as 8 hex digits without prefix
puthex_digits:
        push eax
        push ecx
        mov ecx, 8
.d:     rol eax, 4
        push eax
        and al, 0x0F
        add al, '0'
        cmp al, '9'
        jbe .p
        add al, 'a' - '0' - 10
.p:     call putc32
        pop eax
        loop .d
        pop ecx
        pop eax
        ret

%include "../include/serial32.inc"

%ifdef AOUT
s_hello:   db "multiboot (a.out kludge): magic ", 0
%else
s_hello:   db "multiboot (ELF): magic ", 0
%endif
s_flags:   db "multiboot: info flags ", 0
s_mem:     db "multiboot: mem_lower ", 0
s_mem2:    db " KiB, mem_upper ", 0
s_kib:     db " KiB", 13, 10, 0
s_name:    db "multiboot: boot loader ", 0
s_cmdline: db 'multiboot: cmdline "', 0
s_mmap:    db "multiboot: mmap ", 0
s_base:    db " base ", 0
s_len:     db " length ", 0
s_type:    db " type ", 0
s_mods:    db "multiboot: modules ", 0
s_mod:     db "multiboot: module ", 0
s_size:    db " size ", 0
s_align:   db " page-aligned ", 0
s_yes:     db "yes", 0
s_no:      db "no", 0
s_modcmd:  db ' cmdline "', 0
s_data:    db '" data "', 0
s_pass:    db "multiboot: PASS", 13, 10, 0
s_fail:    db "multiboot: FAIL", 13, 10, 0

        align 4
file_end:
; ---- bss (not in the file) -----------------------------------------------------------------
        absolute file_end
mb_magic:  resd 1
mb_info:   resd 1
        alignb 16
stack:     resb STACK_SIZE
stack_top:
bss_end:
