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
 * and for the 4032 x 3024 of 12 MP ones, as far as decoding fits DECODE_MEMORY_BYTES: a PNG always
 * does (it is decoded row by row), a JPEG only up to a few megapixels.
 */
export const MAX_PIXELS = 1 << 24;

/**
 * The most memory decoding one image may take: 48 MiB, checked from the header before decoding,
 * so that it fits a Worker's isolate (128 MB for everything: code, the model and onnxruntime's
 * WebAssembly memory, bodies in flight) with room to spare.
 * - PNG, any size within the limits: two rows (at most 8192 px x 8 bytes, 64 KiB each), zlib's
 *   32 KiB window and one 64 KiB chunk of its output (png.ts), and the working image (WORK_MAX_SIDE
 *   squared x 4 bytes, 4 MiB): under 5 MiB. No full-size pixels exist.
 * - JPEG: jpeg-js holds every 8 x 8 block of coefficients at once, each an Int32Array(64) costing
 *   about 600 bytes (256 of data; measured as workerd's growth decoding 2048 x 2048 images),
 *   counted as JPEG_BLOCK_BYTES = 640; then a byte per sample in lines, the components
 *   interleaved (1 byte a pixel each) and RGB out (3 bytes a pixel) (jpeg.ts, jpegDecodeBytes).
 *   That is about 15 bytes a pixel for gray, 23 for 4:2:0 color, 40 for 4:4:4 and 52 for CMYK:
 *   the budget holds 3.3, 2.2, 1.25 and 0.95 megapixels (1816, 1472, 1120 and 976 pixels square):
 *   a 1024 x 1024 photo of any layout but CMYK.
 * The preprocessing after decoding works on at most WORK_MAX_SIDE squared pixels whatever the input.
 */
export const DECODE_MEMORY_BYTES = 48 * 1024 * 1024;

/** Smallest accepted width or height: below this no digit can be told apart. */
export const MIN_SIDE = 8;

/** Most scans a (progressive) JPEG may have: each scan re-walks the coefficients, so thousands are a CPU bomb. */
export const MAX_JPEG_SCANS = 100;

/**
 * Images are reduced (by whole-pixel area averaging) to at most this many pixels on the longer side
 * before analysis: a digit needs far fewer, and the cost of everything after decoding scales with it.
 */
export const WORK_MAX_SIDE = 1024;
