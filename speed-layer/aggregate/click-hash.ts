/**
 * 64-bit fingerprint of a click id as two independent 32-bit hashes (FNV-1a and a multiplicative
 * hash, each through murmur3's finaliser). Dedup keeps fingerprints rather than strings: with
 * ~600,000 clicks in a minute the chance that two distinct ids share a fingerprint is about
 * 600,000² / 2⁶⁵ ≈ 10⁻⁸ per minute, against a fraction of the memory.
 */
export function clickFingerprint(id: string, out: Uint32Array): void {
  let a = 0x811c9dc5;
  let b = 0x9747b28c;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b + c, 0x5bd1e995) ^ (b >>> 13);
  }
  out[0] = fmix(a ^ id.length);
  out[1] = fmix(b);
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
