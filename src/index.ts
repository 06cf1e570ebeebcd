/** vtx public API. */
export * from './memory/types.js';
