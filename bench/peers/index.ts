/** The bench peers, in report-column order. */
import type { Peer } from './peer.js';
import { QemuPeer } from './qemu.js';
import { V86Peer } from './v86.js';

export function allPeers(): Peer[] {
  return [new QemuPeer(), new V86Peer()];
}
