import { mediaType, readBody } from '../http/body.ts';
import { ApiError } from '../http/errors.ts';
import { IMAGE_FIELD, MAX_IMAGE_BYTES, MAX_JSON_BYTES, MAX_MULTIPART_OVERHEAD_BYTES } from '../limits.ts';
import type { ImageToPixels } from './image.ts';
import { parsePixelsJson } from './pixels.ts';

/**
 * Content types sent as a raw image body. `application/octet-stream` leaves the format to the bytes;
 * `image/jpg` and `image/pjpeg` are what some tools and old browsers send for JPEG.
 */
export const IMAGE_TYPES = new Set(['image/png', 'image/apng', 'image/jpeg', 'image/jpg', 'image/pjpeg', 'application/octet-stream']);

const ACCEPTED = `application/json, image/png, image/jpeg or multipart/form-data with a field "${IMAGE_FIELD}"`;

/**
 * The 784 pixels a /v1/predict request carries: JSON `{ "pixels": [...] }`, a raw PNG/JPEG body,
 * or a multipart form whose field `image` is a PNG/JPEG file. The content type is checked first
 * (415), then the size against that kind's limit (413) before the body is read whole.
 *
 * @example
 * const pixels = await readPredictInput(c.req.raw, imageToPixels);
 */
export async function readPredictInput(request: Request, decodeImage: ImageToPixels): Promise<Float32Array> {
  const contentType = request.headers.get('content-type');
  const type = mediaType(contentType);
  if (type === 'application/json') {
    return parsePixelsJson(await readBody(request, MAX_JSON_BYTES, 'JSON body'));
  }
  if (IMAGE_TYPES.has(type)) {
    const bytes = await readBody(request, MAX_IMAGE_BYTES, 'image');
    if (bytes.length === 0) throw new ApiError(400, 'empty_body', 'the body is empty; send the bytes of a PNG or JPEG image');
    return decodeImage(bytes, type);
  }
  if (type === 'multipart/form-data') {
    const { bytes, type: partType } = await readImagePart(request, contentType!);
    return decodeImage(bytes, partType);
  }
  if (!type) throw new ApiError(415, 'unsupported_media_type', `the request has no Content-Type; send ${ACCEPTED}`);
  throw new ApiError(415, 'unsupported_media_type', `content type "${type}" is not accepted; send ${ACCEPTED}`);
}

/** The `image` file of a multipart form, its size checked against the image limit. */
async function readImagePart(request: Request, contentType: string): Promise<{ bytes: Uint8Array; type: string }> {
  const body = await readBody(request, MAX_IMAGE_BYTES + MAX_MULTIPART_OVERHEAD_BYTES, 'multipart body');
  let form: FormData;
  try {
    form = await new Response(body, { headers: { 'content-type': contentType } }).formData();
  } catch (e) {
    throw new ApiError(400, 'malformed_multipart', `the body is not valid multipart/form-data: ${(e as Error).message}`);
  }
  const part = form.get(IMAGE_FIELD);
  if (part === null) throw new ApiError(422, 'missing_image', `the form has no field "${IMAGE_FIELD}"; send the image as the file field "${IMAGE_FIELD}"`);
  if (typeof part === 'string') throw new ApiError(422, 'invalid_image_field', `the field "${IMAGE_FIELD}" must be a file (PNG or JPEG), not text`);
  if (part.size > MAX_IMAGE_BYTES) {
    throw new ApiError(413, 'payload_too_large', `the image may hold at most ${MAX_IMAGE_BYTES} bytes; this one has ${part.size} bytes`);
  }
  if (part.size === 0) throw new ApiError(400, 'empty_body', `the field "${IMAGE_FIELD}" is an empty file`);
  return { bytes: new Uint8Array(await part.arrayBuffer()), type: mediaType(part.type) };
}
