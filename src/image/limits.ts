/**
 * Limits on what `src/image` accepts, checked before any decoding work: the byte count first, then
 * width and height from the PNG IHDR or JPEG SOF header, so a 100,000 x 100,000 "decompression
 * bomb" is refused without allocating its pixels. The README quotes these.
 */

/** Largest accepted file: 10 MiB (a 12-megapixel phone JPEG is 2 to 5 MiB). */
export const MAX_IMAGE_BYTES = 10 * 1024 * 1024;

/** Largest accepted width or height, in pixels. */
export const MAX_SIDE = 8192;

/**
 * Largest accepted width x height: 16,777,216 (2^24), room for 4608 x 3456 (16 MP) phone photos
 * and for the 4032 x 3024 of 12 MP ones. Decoding a JPEG costs about 3 bytes per pixel of output
 * plus the decoder's coefficient blocks.
 */
export const MAX_PIXELS = 1 << 24;

/** Smallest accepted width or height: below this no digit can be told apart. */
export const MIN_SIDE = 8;

/** Most scans a (progressive) JPEG may have: each scan re-walks the coefficients, so thousands are a CPU bomb. */
export const MAX_JPEG_SCANS = 100;

/**
 * Images are reduced (by whole-pixel area averaging) to at most this many pixels on the longer side
 * before analysis: a digit needs far fewer, and the cost of everything after decoding scales with it.
 */
export const WORK_MAX_SIDE = 1024;
