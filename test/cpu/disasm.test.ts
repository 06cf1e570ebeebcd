import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Insn } from '../../src/cpu/insn.js';
import { decodeBytes } from '../../src/cpu/decoder.js';
import { disassemble, formatInsn, formatListing } from '../../src/cpu/disasm.js';

function fmt(hex: string, bits: 16 | 32 = 32, address = 0x7c00): string {
  const bytes = Uint8Array.from(hex.replace(/\s+/g, '').match(/../g)!.map((x) => parseInt(x, 16)));
  const insn = new Insn();
  decodeBytes(insn, bytes, 0, bits);
  return formatInsn(insn, address, bits);
}

describe('formatInsn (iced-x86 Intel style)', () => {
  const cases: [string, 16 | 32, string][] = [
    ['8b 46 10', 16, 'mov ax,[bp+10h]'],
    ['8b 86 00 f0', 16, 'mov ax,[bp-1000h]'],
    ['a1 00 f0', 16, 'mov ax,[0F000h]'],
    ['67 a1 34 12', 32, 'addr16 mov eax,[1234h]'],
    ['8b 0c 8d 00 00 00 00', 32, 'mov ecx,[ecx*4]'],
    ['8b 04 25 f0 ff ff ff', 32, 'mov eax,[0FFFFFFF0h]'],
    ['c7 06 00 12 34 56', 32, 'mov dword ptr [esi],56341200h'],
    ['66 c7 06 00 12 34', 32, 'mov word ptr [esi],1200h'],
    ['2e 8b 07', 32, 'mov eax,cs:[edi]'],
    ['3e 8b 45 00', 32, 'mov eax,ds:[ebp]'],
    ['ea 78 56 34 12 12 ff', 32, 'jmp far 12345678h,0FF12h'],
    ['ea 00 7c 00 00', 16, 'jmp far 7C00h,0'],
    ['ff 18', 32, 'call far fword ptr [eax]'],
    ['c8 10 00 01', 32, 'enter 10h,1'],
    ['0f 84 fd ff', 16, 'je 7C01h'],
    ['74 05', 32, 'je short 00007C07h'],
    ['e2 fe', 16, 'loop 7C00h'],
    ['67 e3 00', 32, 'jcxz 00007C03h'],
    ['d9 c1', 32, 'fld st,st(1)'],
    ['de c1', 32, 'faddp'],
    ['dd 30', 32, 'fnsave [eax]'],
    ['db 28', 32, 'fld st,tbyte ptr [eax]'],
    ['df 38', 32, 'fistp qword ptr [eax],st'],
    ['f3 a4', 32, 'rep movsb [edi],[esi]'],
    ['64 a5', 32, 'movsd es:[edi],fs:[esi]'],
    ['f0 01 08', 32, 'lock add [eax],ecx'],
    ['6a 80', 32, 'push 0FFFFFF80h'],
    ['66 06', 32, 'data16 push es'],
    ['0f 20 c0', 32, 'mov eax,cr0'],
    ['0f c7 30', 32, 'vmptrld [eax]'],
    ['66 0f 38 80 00', 32, 'invept eax,[eax]'],
    ['0f 78 c1', 32, 'vmread ecx,eax'],
    ['cb', 32, 'ret far'],
    ['cf', 16, 'iret'],
    ['66 cf', 16, 'iretd'],
    ['0f 0b', 32, 'ud2'],
    ['0f 6f c0', 32, '(bad)'],
  ];
  for (const [hex, bits, text] of cases) {
    it(`${hex} (${bits}) → ${text}`, () => expect(fmt(hex, bits)).toBe(text));
  }
});

const BOOT = new Uint8Array(readFileSync(new URL('../fixtures/dis/boot.bin', import.meta.url)));

const BOOT_LISTING = `7C00  FA                cli
7C01  31C0              xor ax,ax
7C03  8ED8              mov ds,ax
7C05  8EC0              mov es,ax
7C07  8ED0              mov ss,ax
7C09  BC007C            mov sp,7C00h
7C0C  FB                sti
7C0D  FC                cld
7C0E  BE497C            mov si,7C49h
7C11  AC                lodsb [si]
7C12  84C0              test al,al
7C14  7409              je short 7C1Fh
7C16  B40E              mov ah,0Eh
7C18  BB0700            mov bx,7
7C1B  CD10              int 10h
7C1D  EBF2              jmp short 7C11h
7C1F  BAF803            mov dx,3F8h
7C22  B021              mov al,21h
7C24  EE                out dx,al
7C25  0F01164C7C        lgdt [7C4Ch]
7C2A  0F20C0            mov eax,cr0
7C2D  6683C801          or eax,1
7C31  0F22C0            mov cr0,eax
7C34  EA397C0800        jmp far 7C39h,8
`;

describe('disassemble / formatListing', () => {
  it('lists the 16-bit part of a boot sector like ndisasm (iced text)', () => {
    const lines = disassemble(BOOT, { bits: 16, org: 0x7c00, count: 24 });
    expect(formatListing(lines, 16)).toBe(BOOT_LISTING);
  });
  it('lists the 32-bit part at its own address', () => {
    const lines = disassemble(BOOT.subarray(0x39, 0x49), { bits: 32, org: 0x7c39 });
    expect(lines.map((l) => l.text)).toEqual([
      'mov eax,[ebp+ecx*4-8]', 'rep movsd [edi],[esi]', 'lock inc dword ptr [1000h]', 'hlt',
      'jmp short 00007C39h',
    ]);
    expect(formatListing(lines, 32).split('\n')[0]).toBe('00007C39  8B448DF8          mov eax,[ebp+ecx*4-8]');
  });
  it('invalid and truncated bytes become db lines and decoding resumes', () => {
    const lines = disassemble(Uint8Array.of(0x0f, 0x04, 0x90, 0x0f, 0x0b, 0xe8, 0x00), { bits: 32 });
    expect(lines.map((l) => l.text)).toEqual(['db 0x0f', 'add al,90h', 'ud2', 'db 0xe8', 'db 0x00']);
    expect(lines.map((l) => l.address)).toEqual([0, 1, 3, 5, 6]);
  });
  it('splits long instructions over continuation lines', () => {
    const lines = disassemble(Uint8Array.of(0x66, 0x2e, 0xc7, 0x84, 0x88, 0x10, 0x00, 0x00, 0x00, 0x34, 0x12), { bits: 32 });
    expect(formatListing(lines, 32)).toBe(
      '00000000  662EC78488100000  mov word ptr cs:[eax+ecx*4+10h],1234h\n' +
      '         -003412\n');
  });
  it('respects count', () => {
    expect(disassemble(BOOT, { bits: 16, count: 3 }).length).toBe(3);
  });
});
