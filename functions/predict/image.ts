import { ApiError } from '../http/errors.ts';

/**
 * The one call that turns an uploaded image (PNG or JPEG bytes and the content type it came with)
 * into the model's 784 pixels, MNIST-style. Bad images are refused by throwing an error that
 * carries a 4xx `status` and a `code` (src/image's ImageError does), which the app answers as JSON.
 */
export type ImageToPixels = (bytes: Uint8Array, contentType: string) => Float32Array | Promise<Float32Array>;

/**
 * This build has no image decoder: every image is answered 415. Wiring src/image is this one
 * function: `import { imageToMnist } from '../../src/image/index.ts'` and
 * `(bytes, contentType) => imageToMnist(bytes, { contentType, maxPixels }).pixels`, with a
 * `maxPixels` that fits a Worker's 128 MB (jpeg-js needs about 17 bytes per pixel at its peak).
 *
 * @example
 * const pixels = await imageToPixels(pngBytes, 'image/png');
 */
export const imageToPixels: ImageToPixels = () => {
  throw new ApiError(
    415,
    'image_decoding_unavailable',
    'image decoding not available in this build; send JSON { "pixels": [784 numbers in 0..1] } with Content-Type: application/json',
  );
};
