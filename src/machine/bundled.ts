/**
 * Paths of the binaries that ship with the package: our BIOS and the bundled guests. Resolved
 * relative to this module, which sits two levels below the package root both as source
 * (src/machine/) and as build output (dist/machine/).
 */
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export const PACKAGE_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function bundledPath(...parts: string[]): string {
  return join(PACKAGE_ROOT, ...parts);
}

/** Our firmware image (firmware/bios.asm, built by scripts/build-binaries.sh). */
export function builtinBiosPath(): string {
  return bundledPath('firmware', 'bios.bin');
}

/** The guest `vtx run` boots when no image is given. */
export function demoImagePath(): string {
  return bundledPath('guests', 'demo', 'demo.img');
}
