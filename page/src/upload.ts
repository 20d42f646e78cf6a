import { MAX_IMAGE_BYTES, WORK_MAX_SIDE } from '../../src/image/limits.ts';

/** Formats the API decodes; anything else the browser can read is re-encoded first. */
const SENT_AS_IS = new Set(['image/png', 'image/jpeg']);

/** An uploaded image, ready to send, and the picture to show. */
export interface Upload {
  image: Blob;
  picture: ImageBitmap;
}

/**
 * Reads an image file and makes it fit what the API accepts. A PNG or JPEG that already fits is
 * sent as it is; a larger photo is scaled down in the browser to WORK_MAX_SIDE on its longer side
 * (the server reduces images to that size before analysis anyway, so nothing it would use is lost,
 * and a 12-megapixel photo is never sent whole nor runs into the Worker's 4-megapixel limit); other
 * formats the browser can read (WebP, GIF, HEIC on Safari...) are re-encoded.
 *
 * @example
 * const { image, picture } = await prepareUpload(input.files[0]);
 */
export async function prepareUpload(file: File): Promise<Upload> {
  let picture: ImageBitmap;
  try {
    picture = await createImageBitmap(file, { imageOrientation: 'from-image' });
  } catch {
    throw new Error(`"${file.name}" is not an image this browser can read. Try a PNG or JPEG.`);
  }
  const { width, height } = picture;
  const longer = Math.max(width, height);
  if (SENT_AS_IS.has(file.type) && file.size <= MAX_IMAGE_BYTES && longer <= WORK_MAX_SIDE) return { image: file, picture };
  const scale = Math.min(1, WORK_MAX_SIDE / longer);
  const canvas = document.createElement('canvas');
  canvas.width = Math.max(1, Math.round(width * scale));
  canvas.height = Math.max(1, Math.round(height * scale));
  const ctx = canvas.getContext('2d')!;
  // A PNG keeps its transparency; a photo becomes a JPEG, over white where it had none.
  const type = file.type === 'image/png' ? 'image/png' : 'image/jpeg';
  if (type === 'image/jpeg') {
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
  }
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(picture, 0, 0, canvas.width, canvas.height);
  const image = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, type, 0.92));
  if (!image) throw new Error(`"${file.name}" could not be prepared for sending.`);
  return { image, picture };
}
