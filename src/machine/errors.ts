/**
 * Host errors: bad images, bad options, invalid API use. They carry the context a user needs to fix
 * the input (file, offset, field). Guest faults are never represented by these — they are
 * architectural behaviour (exceptions, VM exits, triple fault) reported as values.
 */

export class VtxError extends Error {
  override readonly name: string = 'VtxError';
}

/** A guest image that cannot be loaded. `offset` is the byte offset in the file, if known. */
export class ImageError extends VtxError {
  override readonly name = 'ImageError';
  constructor(
    readonly file: string,
    readonly detail: string,
    readonly offset?: number,
    readonly field?: string,
  ) {
    super(
      `${file}: ${detail}` +
        (offset !== undefined ? ` (at offset 0x${offset.toString(16)}${field ? `, ${field}` : ''})` : field ? ` (${field})` : ''),
    );
  }
}

/** An option value that is not acceptable. */
export class OptionError extends VtxError {
  override readonly name = 'OptionError';
  constructor(
    readonly option: string,
    readonly detail: string,
  ) {
    super(`${option}: ${detail}`);
  }
}
