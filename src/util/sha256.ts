/**
 * SHA-256 as lowercase hex, through WebCrypto (Node, browsers and Workers all have it).
 *
 * @example
 * await sha256Hex([bytes]) // '9f86d081...'
 */
export async function sha256Hex(chunks: readonly Uint8Array[]): Promise<string> {
  // One contiguous, non-shared buffer (WebCrypto refuses views of a SharedArrayBuffer).
  const all = new Uint8Array(chunks.reduce((a, c) => a + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    all.set(c, o);
    o += c.length;
  }
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', all));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}
