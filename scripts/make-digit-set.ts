/**
 * Makes data/digits/: labelled digits from outside MNIST for choosing and measuring models, split
 * into dev (choices are made on it) and test (reported, never tuned on), with no writer and no
 * font on both sides. Three sources:
 *   - synthetic writers (scripts/lib/handwriting): each person keeps their own shape for each digit
 *     (1 with or without flag and base, open or closed 4, 7 with a crossbar, one- or two-loop 8, ...),
 *     slant, width, bend, loop closure, stroke order and direction, pen width (a 1-pixel canvas pen to
 *     a marker), speed (tapering ends or ink blobs); every writer writes each digit once;
 *   - fonts Debian ships, handwriting-like and print (regular, bold or italic);
 *   - the 240 fixtures of test/fixtures/digits (their fonts follow the fonts' split, their strokes go to dev).
 * Everything is drawn by Chromium's canvas (stroke() with round caps, a width per segment; fillText),
 * then sent the ways people send digits: the canvas's own PNG (transparent, dark pens), a scan (grey
 * PNG), a scan as JPEG, a phone photo of paper (JPEG: uneven light, shadow, blur, noise, tinted paper
 * and ink) or light on a dark board. Images of a split are packed back to back in <split>.bin;
 * manifest.json lists each one (split, label, source, writer or font, allograph, style, bytes).
 *
 * Needs: apt-get install -y chromium fonts-comic-neue fonts-dkg-handwriting fonts-breip fonts-bwht
 *        fonts-dancingscript fonts-humor-sans fonts-klee fonts-kristi fonts-ecolier-court
 *        fonts-liberation fonts-urw-base35 fonts-femkeklaver fonts-freefont-otf
 * Run: npx tsx scripts/make-digit-set.ts
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decode, encode } from 'fast-png';
import { chromium } from 'playwright-core';
import { rng, type Plane } from './lib/digit-synth.ts';
import { DIGIT_SET_DIR, type DigitSetEntry, type DigitSetSplit } from './lib/digit-set.ts';
import { capture, type PaperStyle } from './lib/handwriting/capture.ts';
import { randomWriter, write, type PenPoint } from './lib/handwriting/writer.ts';

const SEED = 20261203;
const WRITERS_PER_SPLIT = 220;
const RENDERS_PER_FONT_DIGIT = 3;
const HANDWRITING_FONTS = [
  'Because We Build', 'Because We Connect', 'Because We Create', 'Because We Learn', 'Because We Mentor', 'Because We Organize',
  'Breip', 'Comic Neue', 'Dancing Script', 'DkgHandwriting', 'Ecolier_court', 'Humor Sans', 'Klee One', 'Kristi', 'Z003', 'femkeklaver',
];
const PRINT_FONTS = [
  'C059', 'DejaVu Sans', 'DejaVu Sans Mono', 'DejaVu Serif', 'FreeMono', 'FreeSans', 'FreeSerif', 'Liberation Mono', 'Liberation Sans',
  'Liberation Sans Narrow', 'Liberation Serif', 'Nimbus Mono PS', 'Nimbus Roman', 'Nimbus Sans', 'P052', 'URW Bookman', 'URW Gothic',
];
/** How people send digits, and how often each way appears in the set. */
const STYLES: Array<[DigitSetEntry['style'], number]> = [['canvas', 0.45], ['scan', 0.2], ['photo', 0.18], ['scan-jpeg', 0.09], ['inverted', 0.08]];
const PENS = ['#000', '#000', '#000', '#111', '#1a237e', '#0d47a1', '#b71c1c', '#333'];

const random = rng(SEED);
const between = (lo: number, hi: number) => lo + random() * (hi - lo);
const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)];
function shuffled<T>(xs: T[]): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
function style(): DigitSetEntry['style'] {
  let u = random();
  for (const [s, p] of STYLES) if ((u -= p) < 0) return s;
  return 'canvas';
}

interface Drawing {
  width: number;
  height: number;
  /** The digit's height in pixels, rotation in degrees, centre. */
  size: number;
  angle: number;
  x: number;
  y: number;
  color: string;
  font?: string;
  text?: string;
  /** Points in the digit's box (height 1) with relative widths, and the pen's width in pixels. */
  strokes?: PenPoint[][];
  penWidth?: number;
}

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
    g.font = d.font;
    const m = g.measureText(d.text);
    // Scale so the glyph's ink (not its em box) is d.size tall, then centre the ink on (0, 0).
    const k = d.size / (m.actualBoundingBoxAscent + m.actualBoundingBoxDescent);
    g.scale(k, k);
    g.fillText(d.text, (m.actualBoundingBoxLeft - m.actualBoundingBoxRight) / 2, (m.actualBoundingBoxAscent - m.actualBoundingBoxDescent) / 2);
  } else {
    g.lineCap = 'round';
    g.lineJoin = 'round';
    const at = (p) => [(p.x - 0.5) * d.size, (p.y - 0.5) * d.size];
    for (const s of d.strokes) {
      // One segment at a time: the pen's width changes along the stroke (speed, pressure, blobs).
      for (let i = 0; i + 1 < s.length; i++) {
        g.lineWidth = Math.max(1, d.penWidth * (s[i].w + s[i + 1].w) / 2);
        g.beginPath();
        g.moveTo(...at(s[i]));
        g.lineTo(...at(s[i + 1]));
        g.stroke();
      }
    }
  }
  return c.toDataURL('image/png');
};
`;

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
const page = await browser.newPage();
await page.setContent(`<canvas id="c"></canvas><script>${PAGE}</script>`);
const missing = (await page.evaluate((fonts) => (window as any).missingFonts(fonts), [...HANDWRITING_FONTS, ...PRINT_FONTS])) as string[];
if (missing.length) throw new Error(`fonts not installed: ${missing.join(', ')} (see the apt-get line at the top)`);

async function draw(d: Drawing): Promise<Uint8Array> {
  const url = (await page.evaluate((d) => (window as any).drawDigit(d), d)) as string;
  return new Uint8Array(Buffer.from(url.split(',')[1], 'base64'));
}

/** A canvas and a placement that keeps a digit of `size` (turned a little) inside, mostly small canvases. */
function layout(): Pick<Drawing, 'width' | 'height' | 'size' | 'angle' | 'x' | 'y'> {
  const side = random() < 0.08 ? between(120, 220) : between(36, 110);
  const width = Math.round(side * between(0.8, 1.25));
  const height = Math.round(side * between(0.8, 1.25));
  const size = Math.min(width, height) * between(0.4, 0.85);
  const margin = size * 0.58;
  return {
    width, height, size, angle: between(-8, 8),
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

type Pending = Omit<DigitSetEntry, 'offset' | 'length' | 'contentType' | 'width' | 'height'> & { bytes: Uint8Array; contentType: DigitSetEntry['contentType']; width: number; height: number };
const out: Pending[] = [];

/** Draws on the canvas; keeps the canvas PNG or sends the ink through a paper style. */
async function render(d: Drawing, s: DigitSetEntry['style']): Promise<{ bytes: Uint8Array; contentType: DigitSetEntry['contentType']; width: number; height: number }> {
  if (s === 'canvas') d.color = pick(PENS);
  const png = await draw(d);
  const ink = coverage(png);
  // The canvas's PNG re-encoded at zlib's level 9: the same pixels in 60% of Chromium's bytes.
  if (s === 'canvas') return { bytes: encode(decode(png), { zlib: { level: 9 } }), contentType: 'image/png', width: ink.width, height: ink.height };
  return { ...capture(ink, s as PaperStyle, random), width: ink.width, height: ink.height };
}

// Writers: each split its own people.
for (const split of ['dev', 'test'] as DigitSetSplit[]) {
  for (let k = 0; k < WRITERS_PER_SPLIT; k++) {
    const writer = randomWriter(`${split}-${String(k).padStart(3, '0')}`, random);
    for (const label of shuffled([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])) {
      const { allograph, strokes } = write(label, writer, random);
      const l = layout();
      const s = style();
      const r = await render({ ...l, strokes, penWidth: Math.max(1, writer.pen.width * l.size), color: '#000' }, s);
      out.push({ split, label, source: 'strokes', writer: writer.id, allograph, style: s, ...r });
    }
  }
}

// Fonts: half of each kind on each side.
const fontSplit = new Map<string, DigitSetSplit>();
for (const list of [HANDWRITING_FONTS, PRINT_FONTS]) shuffled(list).forEach((f, i) => fontSplit.set(f, i % 2 ? 'test' : 'dev'));
for (const [font, split] of fontSplit) {
  for (let label = 0; label < 10; label++) {
    for (let k = 0; k < RENDERS_PER_FONT_DIGIT; k++) {
      const face = `${random() < 0.2 ? 'italic ' : ''}${random() < 0.25 ? 'bold ' : ''}40px "${font}"`;
      const s = style();
      const r = await render({ ...layout(), font: face, text: String(label), color: '#000' }, s);
      out.push({ split, label, source: 'font', writer: font, allograph: face.replace(/ ?40px.*/, '') || 'regular', style: s, ...r });
    }
  }
}
await browser.close();

// The fixtures: their fonts on the side their family is on (unknown families by name), strokes in dev.
const FIXTURES = 'test/fixtures/digits';
const fixtures = JSON.parse(readFileSync(join(FIXTURES, 'manifest.json'), 'utf8')).fixtures as Array<{ file: string; label: number; source: string; style: string; contentType: DigitSetEntry['contentType']; width: number; height: number }>;
for (const f of fixtures) {
  const family = f.source.startsWith('font: ') ? f.source.slice(6) : null;
  const split: DigitSetSplit = family === null ? 'dev' : (fontSplit.get(family) ?? (family.length % 2 ? 'test' : 'dev'));
  out.push({
    split, label: f.label, source: 'fixture', writer: family ?? 'fixture strokes', allograph: '', style: f.style === 'photo' ? 'photo' : (f.style as DigitSetEntry['style']),
    bytes: new Uint8Array(readFileSync(join(FIXTURES, f.file))), contentType: f.contentType, width: f.width, height: f.height,
  });
}

mkdirSync(DIGIT_SET_DIR, { recursive: true });
const entries: DigitSetEntry[] = [];
for (const split of ['dev', 'test'] as DigitSetSplit[]) {
  const mine = out.filter((e) => e.split === split);
  let offset = 0;
  const pack = new Uint8Array(mine.reduce((a, e) => a + e.bytes.length, 0));
  for (const { bytes, ...e } of mine) {
    pack.set(bytes, offset);
    entries.push({ ...e, offset, length: bytes.length });
    offset += bytes.length;
  }
  writeFileSync(join(DIGIT_SET_DIR, `${split}.bin`), pack);
}
const about = {
  made_by: 'scripts/make-digit-set.ts',
  seed: SEED,
  about: 'Digits from outside MNIST: synthetic writers (strokes), Debian fonts and the test fixtures, drawn by Chromium canvas; styles canvas (PNG, transparent), scan (grey PNG), scan-jpeg, photo (JPEG of paper), inverted (light on dark). Each split packs its images back to back in <split>.bin; offset and length locate each one. No writer or font is in both splits.',
};
const lines = entries.map((e) => '    ' + JSON.stringify(e));
writeFileSync(join(DIGIT_SET_DIR, 'manifest.json'), JSON.stringify(about, null, 2).replace(/\n}$/, `,\n  "digits": [\n${lines.join(',\n')}\n  ]\n}\n`));
for (const split of ['dev', 'test']) {
  const e = entries.filter((x) => x.split === split);
  console.log(`${split}: ${e.length} digits, ${e.reduce((a, x) => a + x.length, 0).toLocaleString('en-US')} bytes`);
}
