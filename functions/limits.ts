/**
 * Every limit the API enforces, in one place (the README quotes these). Request bodies are refused
 * with 413 before they are read whole: by Content-Length when given, else by counting the stream.
 */

/** Pixels in one JSON prediction: a 28 x 28 image, row-major, ink high. */
export const PIXELS = 784;

/**
 * Largest JSON body for /v1/predict: 64 KiB. 784 numbers written with 17 significant digits
 * ("0.12345678901234567,") take about 16 KiB; the rest is room for whitespace.
 */
export const MAX_JSON_BYTES = 64 * 1024;

/**
 * Largest image for /v1/predict, raw or as the multipart field `image`: src/image's MAX_IMAGE_BYTES,
 * 10 MiB (a 12-megapixel phone JPEG is 2 to 5 MiB).
 */
export { MAX_IMAGE_BYTES } from '../src/image/limits.ts';

/**
 * Largest image, in pixels, the Worker decodes: 4 megapixels (e.g. 2048 x 2048). The JPEG decoder
 * needs about 17 bytes per pixel at its peak and an isolate has 128 MB; resize larger photos
 * before sending them (the page does). Checked from the header, before decoding.
 */
export const MAX_IMAGE_PIXELS = 4 * 1024 * 1024;

/** Room for the multipart envelope (boundaries, part headers, other small fields) around the image. */
export const MAX_MULTIPART_OVERHEAD_BYTES = 16 * 1024;

/** The multipart form field that carries the image. */
export const IMAGE_FIELD = 'image';

/** Default model name: the bundled MNIST classifier and its registry entry. */
export const DEFAULT_MODEL = 'digits';

/** Model versions (their bytes and engines) an isolate keeps at once: the current and the one before. */
export const MODEL_VERSIONS_KEPT = 2;

/** Default seconds an isolate trusts the R2 manifest it read (the `MODEL_REFRESH_SECONDS` var). */
export const DEFAULT_MODEL_REFRESH_SECONDS = 10;
