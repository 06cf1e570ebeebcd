/**
 * Distinct types for distinct address spaces. Branded numbers cost nothing at run time but keep a
 * guest-physical address from being passed where a host-physical one is expected.
 *
 *   LinearAddr      guest-linear (after segmentation, before paging)
 *   GuestPhysAddr   guest-physical (after guest paging, before EPT)
 *   HostPhysAddr    host-physical (index into the host memory of the emulated processor)
 *   PortAddr        I/O port (0..0xFFFF)
 *
 * All are plain JS numbers (< 2^53). Use the constructor helpers at API boundaries; inside hot
 * paths the values are ordinary numbers.
 */
export type LinearAddr = number & { readonly __addr?: 'linear' };
export type GuestPhysAddr = number & { readonly __addr?: 'guest-physical' };
export type HostPhysAddr = number & { readonly __addr?: 'host-physical' };
export type PortAddr = number & { readonly __addr?: 'port' };

export const linear = (n: number): LinearAddr => n as LinearAddr;
export const gpa = (n: number): GuestPhysAddr => n as GuestPhysAddr;
export const hpa = (n: number): HostPhysAddr => n as HostPhysAddr;
export const port = (n: number): PortAddr => (n & 0xffff) as PortAddr;

/** Access sizes a bus supports. */
export type AccessSize = 1 | 2 | 4;
