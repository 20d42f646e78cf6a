/**
 * Images of digits to MNIST model inputs: decode PNG/JPEG under stated limits, then preprocess as
 * MNIST was made. Web-standard APIs only: runs in Node, browsers and Workers.
 */
export { imageToMnist, preprocess, centreByMass, MNIST_SIDE, MNIST_BOX, MNIST_CENTRE, MNIST_STROKE } from './mnist.ts';
export type { MnistDigit, DigitInfo, PreprocessOptions } from './mnist.ts';
export { decodeImage, decodeImageToGray, readImageHeader, checkDimensions } from './decode.ts';
export type { ImageHeader, DecodeOptions, DecodedGray } from './decode.ts';
export { ImageError, IMAGE_ERROR_STATUS } from './errors.ts';
export type { ImageErrorCode, ImageErrorStatus } from './errors.ts';
export { MAX_IMAGE_BYTES, MAX_SIDE, MAX_PIXELS, MIN_SIDE, MAX_JPEG_SCANS, WORK_MAX_SIDE, DECODE_MEMORY_BYTES } from './limits.ts';
export { MIN_INK_CONTRAST } from './digit.ts';
export { toGray } from './gray.ts';
export type { GrayImage } from './gray.ts';
export type { Raster } from './raster.ts';
export type { Polarity } from './polarity.ts';
export type { Orientation } from './orientation.ts';
export type { ImageFormat } from './sniff.ts';
