/** A point of a stroke, as fractions (0..1) of the pad's side, so strokes survive a resize. */
type Point = [x: number, y: number];

/** Stroke width as a fraction of the pad's side: a digit drawn across most of the pad then has
 * MNIST's proportions (strokes about a tenth of the digit's 20-pixel box). */
const STROKE = 0.055;
/** The pad's resolution follows the screen's, up to this many device pixels per CSS pixel. */
const MAX_PIXEL_RATIO = 2;

/**
 * The drawing pad: dark ink on a transparent canvas (what the API expects of a browser canvas),
 * drawn with any pointer (mouse, finger, pen) through Pointer Events; one pointer at a time.
 * It can also show a picture (an uploaded image) until the next stroke.
 *
 * @example
 * const pad = new DrawingPad(canvas, (lifted) => (lifted ? predictor.now() : predictor.request()));
 * const png = await pad.toBlob();
 */
export class DrawingPad {
  private strokes: Point[][] = [];
  private picture: ImageBitmap | null = null;
  private pointer: number | null = null;
  private readonly ctx: CanvasRenderingContext2D;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    /** Called as ink is added (`lifted` false) and when the pointer is lifted (`lifted` true). */
    private readonly onInk: (lifted: boolean) => void,
    /** Called when a stroke starts on a shown picture (which the stroke replaces). */
    private readonly onDrawOverPicture: () => void = () => {},
  ) {
    this.ctx = canvas.getContext('2d')!;
    canvas.addEventListener('pointerdown', (e) => this.down(e));
    canvas.addEventListener('pointermove', (e) => this.move(e));
    canvas.addEventListener('pointerup', (e) => this.up(e));
    canvas.addEventListener('pointercancel', (e) => this.up(e));
    new ResizeObserver(() => this.resize()).observe(canvas);
    this.resize();
  }

  /** True when nothing is drawn and no picture is shown. */
  get isEmpty(): boolean {
    return this.strokes.length === 0 && this.picture === null;
  }

  /** True when the pad shows an uploaded picture. */
  get showsPicture(): boolean {
    return this.picture !== null;
  }

  clear(): void {
    this.strokes = [];
    this.picture = null;
    this.pointer = null;
    this.render();
  }

  /** Shows a picture fitted inside the pad, in place of any drawing. */
  show(picture: ImageBitmap): void {
    this.strokes = [];
    this.picture = picture;
    this.render();
  }

  /** The drawing as a PNG: dark ink, transparent background. */
  toBlob(): Promise<Blob> {
    return new Promise((resolve, reject) => this.canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('the canvas could not be encoded'))), 'image/png'));
  }

  private down(e: PointerEvent): void {
    if (this.pointer !== null || (e.pointerType === 'mouse' && e.button !== 0)) return;
    e.preventDefault();
    this.pointer = e.pointerId;
    this.canvas.setPointerCapture(e.pointerId);
    if (this.picture) {
      this.picture = null;
      this.onDrawOverPicture();
    }
    this.strokes.push([this.at(e)]);
    this.render();
    this.onInk(false);
  }

  private move(e: PointerEvent): void {
    if (e.pointerId !== this.pointer) return;
    const stroke = this.strokes[this.strokes.length - 1];
    // Coalesced events carry the points a fast pen passed between two frames.
    for (const c of e.getCoalescedEvents?.() ?? [e]) stroke.push(this.at(c));
    this.render();
    this.onInk(false);
  }

  private up(e: PointerEvent): void {
    if (e.pointerId !== this.pointer) return;
    this.pointer = null;
    this.onInk(true);
  }

  private at(e: PointerEvent): Point {
    const r = this.canvas.getBoundingClientRect();
    return [(e.clientX - r.left) / r.width, (e.clientY - r.top) / r.height];
  }

  private resize(): void {
    const ratio = Math.min(window.devicePixelRatio || 1, MAX_PIXEL_RATIO);
    const side = Math.max(1, Math.round(this.canvas.clientWidth * ratio));
    if (this.canvas.width === side && this.canvas.height === side) return;
    this.canvas.width = this.canvas.height = side;
    this.render();
  }

  private render(): void {
    const { ctx } = this;
    const side = this.canvas.width;
    ctx.clearRect(0, 0, side, side);
    if (this.picture) {
      const p = this.picture;
      const k = Math.min(side / p.width, side / p.height);
      const w = p.width * k;
      const h = p.height * k;
      ctx.fillStyle = '#fff';
      ctx.fillRect(0, 0, side, side);
      ctx.drawImage(p, (side - w) / 2, (side - h) / 2, w, h);
      return;
    }
    ctx.strokeStyle = ctx.fillStyle = '#111';
    ctx.lineWidth = STROKE * side;
    ctx.lineCap = ctx.lineJoin = 'round';
    for (const stroke of this.strokes) {
      ctx.beginPath();
      if (stroke.length === 1) {
        ctx.arc(stroke[0][0] * side, stroke[0][1] * side, ctx.lineWidth / 2, 0, 2 * Math.PI);
        ctx.fill();
        continue;
      }
      ctx.moveTo(stroke[0][0] * side, stroke[0][1] * side);
      for (const [x, y] of stroke) ctx.lineTo(x * side, y * side);
      ctx.stroke();
    }
  }
}
