const DATA_URL = /^data:(image\/[a-z0-9.+-]+);base64,/i;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** An image sent as base64 text: its bytes and the type its data: URL declared, if any. */
export interface Base64Image {
  bytes: Uint8Array;
  contentType: string | undefined;
}

/** Why a base64 image was refused: over `maxBytes` (its decoded size), not base64, or empty. */
export type Base64Problem = { problem: 'too_large'; size: number } | { problem: 'not_base64' } | { problem: 'empty' };

/**
 * The bytes of a base64 image (optionally a `data:image/...;base64,` URL, whitespace ignored), its
 * size checked from the text's length before anything is decoded.
 *
 * @example
 * const r = decodeBase64Image(text, 256 * 1024); // { bytes, contentType } or { problem }
 */
export function decodeBase64Image(text: string, maxBytes: number): Base64Image | Base64Problem {
  const url = DATA_URL.exec(text);
  const b64 = (url ? text.slice(url[0].length) : text).replace(/\s+/g, '');
  const size = Math.floor((b64.length * 3) / 4) - (b64.endsWith('==') ? 2 : b64.endsWith('=') ? 1 : 0);
  if (size > maxBytes) return { problem: 'too_large', size };
  if (b64.length % 4 !== 0 || !BASE64.test(b64)) return { problem: 'not_base64' };
  const binary = atob(b64);
  const bytes = new Uint8Array(binary.length);
  for (let k = 0; k < binary.length; k++) bytes[k] = binary.charCodeAt(k);
  if (bytes.length === 0) return { problem: 'empty' };
  return { bytes, contentType: url?.[1].toLowerCase() };
}
