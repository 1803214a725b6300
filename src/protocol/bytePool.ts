// Small byte arrays carved from shared 8 KiB blocks, as Node's Buffer.allocUnsafe does, but zeroed and with no Buffer: one backing store for many messages.

/** Bytes of one block. */
const BLOCK_BYTES = 8192;
/** Larger arrays get a backing store of their own. */
const MAX_POOLED = BLOCK_BYTES >>> 1;

let block = new ArrayBuffer(BLOCK_BYTES);
let used = 0;

/**
 * A new zeroed `Uint8Array` of `length` bytes. Up to 4 KiB it is a view into a shared block
 * (each block is carved once, never reused, so no byte of another message shows through):
 * a typed array of its own costs a backing-store allocation, and a finalizer, that a
 * datagram sent every tick per player makes the largest allocation of the send path. The
 * view's `.buffer` is the whole block: copy the view before handing its buffer on.
 */
export function pooledBytes(length: number): Uint8Array {
  if (length > MAX_POOLED) return new Uint8Array(length);
  if (used + length > BLOCK_BYTES) {
    block = new ArrayBuffer(BLOCK_BYTES);
    used = 0;
  }
  const out = new Uint8Array(block, used, length);
  used += (length + 7) & ~7; // 8-byte aligned, as Node's pool
  return out;
}
