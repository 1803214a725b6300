// Bytes as lowercase hex (no Node built-in: the web demo page uses it too).

/** `bytes` as lowercase hex, two digits a byte. */
export function hex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}
