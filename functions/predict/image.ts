import { imageToMnist } from '../../src/image/index.ts';
import { MAX_IMAGE_PIXELS } from '../limits.ts';

/**
 * The one call that turns an uploaded image (PNG or JPEG bytes and the content type it came with)
 * into the model's 784 pixels, MNIST-style (src/image). Bad images are refused by src/image's
 * ImageError, which carries a 4xx `status` and a `code` that the app answers as JSON.
 */
export type ImageToPixels = (bytes: Uint8Array, contentType: string) => Float32Array | Promise<Float32Array>;

/**
 * @example
 * const pixels = await imageToPixels(pngBytes, 'image/png');
 */
export const imageToPixels: ImageToPixels = (bytes, contentType) =>
  imageToMnist(bytes, { contentType, maxPixels: MAX_IMAGE_PIXELS }).pixels;
