/**
 * Shared pieces of the QEMU-oracle ROMs (chipset-oracle, qemu-oracle): the player's IN handler
 * (each value read is echoed byte by byte to port 0xE9, where the recorder collects it), the
 * isa-debug-exit ending, and the script table with the reset vector.
 */

/** Lines from `.in:` to `table:` (the player jumps to `.in` with BH = size, DX = port). */
export const PLAYER_IN_AND_EXIT: readonly string[] = [
  '.in:',
  '  cmp bh, 1',
  '  jne .i2',
  '  in al, dx',
  '  mov dx, 0xe9',
  '  out dx, al',
  '  jmp .next',
  '.i2:',
  '  cmp bh, 2',
  '  jne .i4',
  '  in ax, dx',
  '  mov dx, 0xe9',
  '  out dx, al',
  '  mov al, ah',
  '  out dx, al',
  '  jmp .next',
  '.i4:',
  '  in eax, dx',
  '  mov dx, 0xe9',
  '  mov cx, 4',
  '.i4b:',
  '  out dx, al',
  '  shr eax, 8',
  '  loop .i4b',
  '  jmp .next',
  '.done:',
  '  mov dx, 0xf4',
  '  mov al, 0x2a',
  '  out dx, al',
  '.halt:',
  '  hlt',
  '  jmp .halt',
  'table:',
];

/** The script table (op byte, port word, value dword per entry, 0 ends it) and the reset vector. */
export function scriptTableAndReset(entries: ReadonlyArray<{ op: number; port: number; value: number }>): string[] {
  const lines: string[] = [];
  for (const s of entries) {
    lines.push(`  db 0x${s.op.toString(16)}`, `  dw 0x${s.port.toString(16)}`, `  dd 0x${(s.value >>> 0).toString(16)}`);
  }
  lines.push('  db 0', 'times 0xfff0 - ($ - $$) db 0xff', 'reset:', '  jmp 0xf000:start', 'times 0x10000 - ($ - $$) db 0xff');
  return lines;
}
