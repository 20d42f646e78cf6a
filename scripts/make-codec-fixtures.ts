/**
 * Makes test/fixtures/codecs/: small PNGs and JPEGs in every color type, bit depth and coding the
 * decoders must read, each written by an independent encoder (ImageMagick, libjpeg-turbo's cjpeg,
 * exiftool), with references decoded by independent decoders (ImageMagick/libpng, djpeg).
 *
 * Needs: apt-get install -y imagemagick libjpeg-turbo-progs libimage-exiftool-perl
 * Run: npx tsx scripts/make-codec-fixtures.ts
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const OUT = 'test/fixtures/codecs';
const IM = '/usr/bin/convert'; // the real ImageMagick, not a stand-in earlier on PATH
const tmp = mkdtempSync(join(tmpdir(), 'codecs-'));
const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
const manifest: Record<string, string> = {};
const note = (file: string, how: string) => (manifest[file] = how);

// The source: 48 x 32, smooth color ramps, a transparent band, and an asymmetric dark "L" so a
// wrong rotation or mirror shows.
const W = 48;
const H = 32;
const rgba = new Uint8Array(W * H * 4);
for (let y = 0; y < H; y++) {
  for (let x = 0; x < W; x++) {
    const i = (y * W + x) * 4;
    const inL = (x >= 6 && x < 12 && y >= 4 && y < 28) || (x >= 6 && x < 30 && y >= 22 && y < 28);
    rgba[i] = inL ? 20 : Math.round((x * 255) / (W - 1));
    rgba[i + 1] = inL ? 20 : Math.round((y * 255) / (H - 1));
    rgba[i + 2] = inL ? 20 : 128;
    rgba[i + 3] = x >= 40 ? Math.round(((y % 8) * 255) / 7) : 255; // a band of graded alpha on the right
  }
}
const rawSource = join(tmp, 'source.rgba');
writeFileSync(rawSource, rgba);
const source = ['-size', `${W}x${H}`, '-depth', '8', `rgba:${rawSource}`];

/** ImageMagick's own decoding, flattened to RGBA8, as the reference for a PNG. */
function pngReference(file: string): void {
  run(IM, [join(OUT, file), '-depth', '8', `PNG32:${join(OUT, file.replace('.png', '.ref.png'))}`]);
}

/** Writes one variant and checks ImageMagick wrote the color type and depth asked for. */
function png(file: string, how: string, args: string[], expect: string, trns = false, prefix = ''): void {
  run(IM, [...source, ...args, prefix + join(OUT, file)]);
  const kind = run('file', ['-b', join(OUT, file)]).toString();
  if (!kind.includes(expect)) throw new Error(`${file}: wanted ${expect}, ImageMagick wrote ${kind}`);
  if (trns !== readFileSync(join(OUT, file)).includes('tRNS')) throw new Error(`${file}: tRNS chunk ${trns ? 'missing' : 'unexpected'}`);
  pngReference(file);
  note(file, how);
}

const gray = ['-colorspace', 'Gray'];
png('gray8.png', 'gray, 8-bit', [...gray, '-alpha', 'off', '-depth', '8', '-define', 'png:color-type=0'], 'grayscale');
png('gray16.png', 'gray, 16-bit', [...gray, '-alpha', 'off', '-depth', '16'], '16-bit grayscale');
for (const d of [1, 2, 4]) {
  png(`gray${d}.png`, `gray, ${d}-bit (posterised to ${2 ** d} levels)`, [...gray, '-alpha', 'off', '-posterize', String(2 ** d), '-depth', String(d)], `${d}-bit grayscale`);
}
png('graya8.png', 'gray + alpha, 8-bit', [...gray, '-depth', '8', '-type', 'GrayscaleMatte'], '8-bit gray+alpha');
png('graya16.png', 'gray + alpha, 16-bit', [...gray, '-depth', '16', '-type', 'GrayscaleMatte'], '16-bit gray+alpha');
png('rgb8.png', 'RGB, 8-bit', ['-alpha', 'off', '-depth', '8'], '8-bit/color RGB', false, 'PNG24:');
png('rgb16.png', 'RGB, 16-bit', ['-alpha', 'off', '-depth', '16'], '16-bit/color RGB', false, 'PNG48:');
png('rgba8.png', 'RGBA, 8-bit', ['-depth', '8'], '8-bit/color RGBA', false, 'PNG32:');
png('rgba16.png', 'RGBA, 16-bit', ['-depth', '16'], '16-bit/color RGBA', false, 'PNG64:');
png('rgba8-interlaced.png', 'RGBA, 8-bit, Adam7 interlaced', ['-depth', '8', '-interlace', 'PNG'], 'RGBA, interlaced', false, 'PNG32:');
png('palette8.png', 'palette of 64 colors, binary transparency in tRNS', ['-colors', '64', '-define', 'png:format=png8'], '8-bit colormap', true);
png('palette4.png', 'palette of 16 colors, 4-bit indices, opaque', ['-alpha', 'off', '-colors', '16'], '4-bit colormap');
// Transparency as one color named in tRNS, without an alpha channel.
const key = ['-alpha', 'off', '-fill', 'red', '-draw', 'rectangle 20,2 30,10', '-transparent', 'red'];
png('rgb8-trns.png', 'RGB, 8-bit, tRNS color key (pure red is transparent)', [...key, '-depth', '8', '-define', 'png:color-type=2'], '8-bit/color RGB', true);
png('gray8-trns.png', 'gray, 8-bit, tRNS gray key (black is transparent)', [...gray, '-alpha', 'off', '-fill', 'black', '-draw', 'rectangle 20,2 30,10', '-transparent', 'black', '-depth', '8', '-define', 'png:color-type=0'], '8-bit grayscale', true);

/** djpeg's decoding (libjpeg-turbo) as the reference for a JPEG, as an RGBA8 PNG. */
function jpegReference(file: string, orientation?: string): void {
  const ppm = join(tmp, 'ref.ppm');
  writeFileSync(ppm, run('djpeg', ['-dct', 'float', join(OUT, file)]));
  run(IM, [ppm, ...(orientation ? ['-orient', orientation, '-auto-orient'] : []), '-depth', '8', `PNG32:${join(OUT, file.replace('.jpg', '.ref.png'))}`]);
}

const ppmSource = join(tmp, 'source.ppm');
run(IM, [...source, '-background', 'white', '-flatten', ppmSource]);
function jpeg(file: string, how: string, args: string[]): void {
  writeFileSync(join(OUT, file), run('cjpeg', [...args, ppmSource]));
  jpegReference(file);
  note(file, how);
}
jpeg('baseline-420.jpg', 'baseline, 4:2:0 chroma subsampling, quality 90', ['-quality', '90']);
jpeg('baseline-444.jpg', 'baseline, 4:4:4, quality 95', ['-quality', '95', '-sample', '1x1']);
jpeg('progressive.jpg', 'progressive, 4:2:0, quality 90', ['-quality', '90', '-progressive']);
jpeg('gray.jpg', 'baseline grayscale (one component)', ['-quality', '90', '-grayscale']);
jpeg('gray-progressive.jpg', 'progressive grayscale', ['-quality', '90', '-grayscale', '-progressive']);
jpeg('restart.jpg', 'baseline with a restart marker every MCU row', ['-quality', '90', '-restart', '1']);
jpeg('optimized.jpg', 'baseline with optimised Huffman tables', ['-quality', '80', '-optimize']);
writeFileSync(join(OUT, 'arithmetic.jpg'), run('cjpeg', ['-arithmetic', ppmSource]));
note('arithmetic.jpg', 'arithmetic-coded JPEG (SOF9): must be refused with 415');
run(IM, [ppmSource, '-colorspace', 'CMYK', '-quality', '90', join(OUT, 'cmyk.jpg')]);
note('cmyk.jpg', 'CMYK JPEG with an Adobe marker (ImageMagick)');

// EXIF orientation: the stored pixels are the upright image turned by the inverse of each
// orientation, so that applying the orientation gives the upright image back.
const upright = join(tmp, 'upright.ppm');
run(IM, [...source, '-background', 'white', '-flatten', upright]);
const inverse: Record<number, string[]> = {
  2: ['-flop'],
  3: ['-rotate', '180'],
  4: ['-flip'],
  5: ['-transpose'],
  6: ['-rotate', '-90'],
  7: ['-transverse'],
  8: ['-rotate', '90'],
};
writeFileSync(join(OUT, 'upright.ref.png'), run(IM, [upright, '-depth', '8', 'PNG32:-']));
for (const [o, args] of Object.entries(inverse)) {
  const file = `orientation-${o}.jpg`;
  const stored = join(tmp, `stored-${o}.ppm`);
  run(IM, [upright, ...args, stored]);
  writeFileSync(join(OUT, file), run('cjpeg', ['-quality', '95', '-sample', '1x1', stored]));
  run('exiftool', ['-q', '-overwrite_original', `-Orientation#=${o}`, join(OUT, file)]);
  note(file, `EXIF orientation ${o}; upright it equals upright.ref.png`);
}

writeFileSync(join(OUT, 'manifest.json'), JSON.stringify({ made_by: 'scripts/make-codec-fixtures.ts', source: `${W}x${H} RGBA ramps, a graded-alpha band at x >= 40, a dark L`, files: manifest }, null, 2) + '\n');
rmSync(tmp, { recursive: true });
console.log(`wrote ${Object.keys(manifest).length} fixtures to ${OUT}`);
