// The UTF-8 length of a string, counted without encoding it (and without Node's Buffer).

/**
 * The number of bytes `s` takes in UTF-8, as msgpack and `TextEncoder` write it: a lone
 * surrogate counts as the 3 bytes of U+FFFD. Counting the UTF-16 code units in a loop is
 * faster than `new TextEncoder().encode(s).length` for the short strings of the protocol
 * (names, chat lines), and allocates nothing.
 */
export function utf8ByteLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c < 0xdc00 && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4; // a surrogate pair: one code point past U+FFFF
      i++;
    } else n += 3;
  }
  return n;
}
