/**
 * Why an image was refused. Each code maps to one HTTP status, so the edge can answer
 * `{ "error": { "code", "message" } }` without knowing anything about images.
 */
export const IMAGE_ERROR_STATUS = {
  /** The body is empty. */
  empty_body: 400,
  /** The bytes start like a PNG or JPEG but are damaged (bad CRC, bad Huffman code, bad structure). */
  corrupt_image: 400,
  /** The bytes stop before the image does. */
  truncated_image: 400,
  /** More bytes than MAX_IMAGE_BYTES. */
  too_many_bytes: 413,
  /** Width, height or width x height over the limits, read from the header before decoding. */
  too_many_pixels: 413,
  /** Not PNG or JPEG, or a variant the decoders do not handle (arithmetic-coded, lossless, 12-bit JPEG). */
  unsupported_media_type: 415,
  /** The declared content type says one format and the bytes are another. */
  content_type_mismatch: 415,
  /** The image decodes but holds no digit: uniform, blank, only noise or specks. */
  no_digit: 422,
  /** The image decodes but is too small to hold a digit (under MIN_SIDE pixels on a side). */
  image_too_small: 422,
} as const;

export type ImageErrorCode = keyof typeof IMAGE_ERROR_STATUS;
export type ImageErrorStatus = (typeof IMAGE_ERROR_STATUS)[ImageErrorCode];

/**
 * The only error `src/image` throws for bad input: a machine code, its HTTP status and a message
 * that names what is wrong.
 *
 * @example
 * try { imageToMnist(bytes); }
 * catch (e) { if (e instanceof ImageError) return c.json({ error: { code: e.code, message: e.message } }, e.status); throw e; }
 */
export class ImageError extends Error {
  override name = 'ImageError';
  readonly code: ImageErrorCode;
  readonly status: ImageErrorStatus;

  constructor(code: ImageErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.status = IMAGE_ERROR_STATUS[code];
  }
}

/** Runs a third-party decoder and turns whatever it throws into a typed 400. */
export function decoding<T>(format: string, run: () => T): T {
  try {
    return run();
  } catch (e) {
    if (e instanceof ImageError) throw e;
    const why = e instanceof Error ? e.message : String(e);
    throw new ImageError('corrupt_image', `${format} data is corrupt: ${why}`, { cause: e });
  }
}
