/**
 * Makes test/fixtures/digits/: labelled digits that are NOT from MNIST, for checking that
 * preprocessing (and later the model) copes with other writers. Two sources:
 *   - fonts Debian ships, handwriting-like and print, drawn with canvas fillText in Chromium;
 *   - synthetic hand-drawn strokes (scripts/lib/digit-strokes.ts: skeletons with a random slant,
 *     shear, aspect and wobble), drawn with canvas stroke() in Chromium, round caps and joins.
 * Each is drawn at a random size, position and rotation, then saved in one of four styles: the
 * browser canvas's own PNG (transparent background, as a drawing page posts it), a scan (dark on
 * white, gray PNG), inverted (light on black, gray PNG), or a phone photo of paper (gradient,
 * shadow, noise; JPEG). manifest.json lists label, source, style and the ink's true box.
 *
 * Needs: apt-get install -y chromium fonts-comic-neue fonts-dkg-handwriting fonts-breip fonts-bwht
 *        fonts-dancingscript fonts-humor-sans fonts-klee fonts-kristi
 *        fonts-ecolier-court fonts-liberation fonts-urw-base35
 * Run: npx tsx scripts/make-digit-fixtures.ts
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decode } from 'fast-png';
import { chromium } from 'playwright-core';
import { handwrite, randomHand } from './lib/digit-strokes.ts';
import { inkToGray, jpegGray, paperPhoto, pngGray, rng, type Plane } from './lib/digit-synth.ts';

const OUT = 'test/fixtures/digits';
const SEED = 20261126;
const FONTS = [
  'Because We Build', 'Because We Create', 'Because We Learn', 'Because We Organize', 'Breip', 'Comic Neue',
  'Dancing Script', 'DkgHandwriting', 'Ecolier_court', 'Humor Sans', 'Klee One', 'Kristi', 'Because We Mentor', 'Z003',
  'DejaVu Sans', 'Liberation Serif', 'URW Gothic', 'Nimbus Mono PS',
];
const STROKES_PER_DIGIT = 6;
type Style = 'canvas' | 'scan' | 'inverted' | 'photo';
const STYLES: Style[] = ['canvas', 'scan', 'inverted', 'photo'];

interface Drawing {
  width: number;
  height: number;
  /** The digit's height in pixels and its rotation in degrees. */
  size: number;
  angle: number;
  x: number;
  y: number;
  color: string;
  font?: string;
  text?: string;
  strokes?: Array<Array<[number, number]>>;
  penWidth?: number;
}

export interface DigitFixture {
  file: string;
  label: number;
  source: string;
  style: Style;
  contentType: 'image/png' | 'image/jpeg';
  width: number;
  height: number;
  /** The ink's box in the image (coverage over 10%), before any styling: [x, y, width, height]. */
  box: [number, number, number, number];
}

const random = rng(SEED);
const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)];

// The page's code is a string: tsx would wrap functions passed to page.evaluate in helpers the page lacks.
const PAGE = `
window.missingFonts = (fonts) => {
  const g = document.createElement('canvas').getContext('2d');
  const width = (f) => ((g.font = '40px ' + f), g.measureText('0123456789').width);
  return fonts.filter((f) => width('"' + f + '", monospace') === width('monospace') && width('"' + f + '", serif') === width('serif'));
};
window.drawDigit = (d) => {
  const c = document.getElementById('c');
  c.width = d.width;
  c.height = d.height;
  const g = c.getContext('2d');
  g.clearRect(0, 0, d.width, d.height);
  g.translate(d.x, d.y);
  g.rotate((d.angle * Math.PI) / 180);
  g.fillStyle = g.strokeStyle = d.color;
  if (d.text !== undefined) {
    g.font = d.size + 'px "' + d.font + '"';
    const m = g.measureText(d.text);
    // Scale so the glyph's ink (not its em box) is d.size tall, then centre the ink on (0, 0).
    const k = d.size / (m.actualBoundingBoxAscent + m.actualBoundingBoxDescent);
    g.scale(k, k);
    g.fillText(d.text, (m.actualBoundingBoxLeft - m.actualBoundingBoxRight) / 2, (m.actualBoundingBoxAscent - m.actualBoundingBoxDescent) / 2);
  } else {
    g.lineWidth = d.penWidth;
    g.lineCap = 'round';
    g.lineJoin = 'round';
    for (const s of d.strokes) {
      g.beginPath();
      s.forEach(([u, v], i) => (i ? g.lineTo(( u - 0.5) * d.size, (v - 0.5) * d.size) : g.moveTo((u - 0.5) * d.size, (v - 0.5) * d.size)));
      g.stroke();
    }
  }
  return c.toDataURL('image/png');
};
`;
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
const page = await browser.newPage();
await page.setContent(`<canvas id="c"></canvas><script>${PAGE}</script>`);

// A font that fontconfig lacks would silently fall back: check each one changes the text's width.
const missing = (await page.evaluate((fonts) => (window as any).missingFonts(fonts), FONTS)) as string[];
if (missing.length) throw new Error(`fonts not installed: ${missing.join(', ')} (see the apt-get line at the top)`);

/** Draws in the page; returns the canvas's PNG (data URL), transparent background. */
async function draw(d: Drawing): Promise<string> {
  return (await page.evaluate((d) => (window as any).drawDigit(d), d)) as string;
}

/** A canvas size and a placement that keeps a digit of `size` (rotated) inside. */
function layout(): Pick<Drawing, 'width' | 'height' | 'size' | 'angle' | 'x' | 'y'> {
  const width = 40 + Math.floor(random() * 120);
  const height = 40 + Math.floor(random() * 120);
  const size = Math.min(width, height) * (0.35 + random() * 0.45);
  const margin = size * 0.6;
  return {
    width,
    height,
    size,
    angle: (random() * 2 - 1) * 12,
    x: margin + random() * Math.max(0, width - 2 * margin),
    y: margin + random() * Math.max(0, height - 2 * margin),
  };
}

function coverage(png: Uint8Array): Plane {
  const img = decode(png);
  const data = new Float32Array(img.width * img.height);
  for (let i = 0; i < data.length; i++) data[i] = img.data[i * 4 + 3] / 255;
  return { width: img.width, height: img.height, data };
}

function inkBox(p: Plane): [number, number, number, number] {
  let [x0, y0, x1, y1] = [p.width, p.height, -1, -1];
  for (let i = 0; i < p.data.length; i++) {
    if (p.data[i] < 0.1) continue;
    const x = i % p.width;
    const y = Math.floor(i / p.width);
    [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
  }
  return [x0, y0, x1 - x0 + 1, y1 - y0 + 1];
}

const jobs: Array<{ label: number; source: string; drawing: Drawing }> = [];
for (const font of FONTS) {
  for (let label = 0; label < 10; label++) jobs.push({ label, source: `font: ${font}`, drawing: { ...layout(), font, text: String(label), color: '#000' } });
}
for (let label = 0; label < 10; label++) {
  for (let k = 0; k < STROKES_PER_DIGIT; k++) {
    const l = layout();
    const strokes = handwrite(label, randomHand(random), random);
    jobs.push({ label, source: 'strokes', drawing: { ...l, strokes, penWidth: l.size * (0.04 + random() * 0.1), color: '#000' } });
  }
}

rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });
const manifest: DigitFixture[] = [];
for (const [n, { label, source, drawing }] of jobs.entries()) {
  const style = STYLES[n % STYLES.length];
  if (style === 'canvas') drawing.color = pick(['#000', '#000', '#1a237e', '#b71c1c', '#333']); // pens a drawing page offers
  const png = new Uint8Array(Buffer.from((await draw(drawing)).split(',')[1], 'base64'));
  const ink = coverage(png);
  const { width, height } = ink;
  const base = `${String(n).padStart(3, '0')}-${label}-${source === 'strokes' ? 'strokes' : source.slice(6).replace(/\W+/g, '').toLowerCase()}-${style}`;
  let bytes: Uint8Array;
  let file: string;
  if (style === 'canvas') {
    [bytes, file] = [png, `${base}.png`];
  } else if (style === 'scan') {
    [bytes, file] = [pngGray(width, height, inkToGray(ink, 0.97, 0.12 + random() * 0.2)), `${base}.png`];
  } else if (style === 'inverted') {
    [bytes, file] = [pngGray(width, height, inkToGray(ink, 0.02 + random() * 0.15, 0.85 + random() * 0.15)), `${base}.png`];
  } else {
    const photo = paperPhoto(ink, n, { gradient: 0.1 + random() * 0.25, noise: 0.01 + random() * 0.03, paper: 0.7 + random() * 0.2, inkLevel: 0.15 + random() * 0.15, shadow: random() < 0.5 });
    [bytes, file] = [jpegGray(width, height, photo, 60 + Math.floor(random() * 20)), `${base}.jpg`];
  }
  writeFileSync(join(OUT, file), bytes);
  manifest.push({ file, label, source, style, contentType: file.endsWith('.jpg') ? 'image/jpeg' : 'image/png', width, height, box: inkBox(ink) });
}
await browser.close();

const about = {
  made_by: 'scripts/make-digit-fixtures.ts',
  seed: SEED,
  about:
    'Digits not from MNIST: Debian fonts via canvas fillText, synthetic hand strokes via canvas stroke(), in Chromium. Styles: canvas (the browser PNG, transparent background), scan (gray PNG, dark on white), inverted (gray PNG, light on dark), photo (JPEG of paper with lighting gradient, noise, optional shadow). box is the ink (coverage >= 10%) before styling: [x, y, width, height].',
};
// One fixture per line keeps the manifest small and its diffs readable.
const lines = manifest.map((f) => '    ' + JSON.stringify(f));
writeFileSync(join(OUT, 'manifest.json'), JSON.stringify(about, null, 2).replace(/\n}$/, `,\n  "fixtures": [\n${lines.join(',\n')}\n  ]\n}\n`));
const total = readdirSync(OUT).length;
console.log(`wrote ${manifest.length} fixtures (${total} files) to ${OUT}`);
