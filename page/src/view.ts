import type { ModelId, Prediction } from './api.ts';

const SIDE = 28;

function byId<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`the page has no #${id}`);
  return el as T;
}

/**
 * Percent with one decimal below 10 %, whole above; never "0%" for a positive value.
 *
 * @example
 * percent(0.987); // "99%"   percent(0.0123); // "1.2%"   percent(1e-6); // "<0.1%"
 */
export function percent(p: number): string {
  const v = p * 100;
  if (v >= 9.95) return `${Math.round(v)}%`;
  if (v >= 0.05) return `${v.toFixed(1)}%`;
  return v > 0 ? '<0.1%' : '0%';
}

/**
 * Everything the page writes into its elements (all text through textContent: nothing is parsed
 * as HTML).
 *
 * @example
 * const view = new View(); view.showPrediction(prediction);
 */
export class View {
  readonly pad = byId<HTMLCanvasElement>('pad');
  readonly clear = byId<HTMLButtonElement>('clear');
  readonly file = byId<HTMLInputElement>('file');
  readonly fix = byId<HTMLFieldSetElement>('fix');
  private readonly result = byId('result');
  private readonly status = byId('status');
  private readonly error = byId('error');
  private readonly offline = byId('offline');
  private readonly fixStatus = byId('fix-status');
  private readonly modelName = byId('model-name');
  private readonly modelVersion = byId('model-version');
  private readonly seen = byId<HTMLCanvasElement>('seen');
  private readonly bars: { row: HTMLElement; bar: HTMLElement; value: HTMLElement }[] = [];

  constructor() {
    for (const row of byId('bars').querySelectorAll<HTMLElement>('li')) {
      this.bars.push({ row, bar: row.querySelector('.fill')!, value: row.querySelector('.value')! });
    }
  }

  busy(on: boolean): void {
    this.result.setAttribute('aria-busy', String(on));
  }

  showPrediction(p: Prediction): void {
    const top = p.probabilities[p.digit];
    this.status.textContent = `Prediction: ${p.digit} (${percent(top)} sure)`;
    p.probabilities.forEach((q, d) => {
      const { row, bar, value } = this.bars[d];
      bar.style.width = `${(q * 100).toFixed(1)}%`;
      value.textContent = percent(q);
      row.classList.toggle('top', d === p.digit);
    });
    this.showModel(p.model);
    this.showSeen(p.input);
    this.showError('');
  }

  /** Back to the empty state (no drawing). */
  reset(message = 'Draw a digit, or upload a picture of one.'): void {
    this.status.textContent = message;
    for (const { row, bar, value } of this.bars) {
      bar.style.width = '0%';
      value.textContent = '';
      row.classList.remove('top');
    }
    this.showSeen(null);
    this.showError('');
  }

  showModel(m: ModelId): void {
    this.modelName.textContent = m.name;
    this.modelVersion.textContent = m.version;
  }

  /** The 28 x 28 input as the model saw it: ink high, so ink is light on black, as in MNIST. */
  private showSeen(input: number[] | null): void {
    const ctx = this.seen.getContext('2d')!;
    const img = ctx.createImageData(SIDE, SIDE);
    for (let i = 0; i < SIDE * SIDE; i++) {
      const v = Math.round((input?.[i] ?? 0) * 255);
      img.data.set([v, v, v, 255], i * 4);
    }
    ctx.putImageData(img, 0, 0);
  }

  /** Alert regions stay in the page and change their text (an empty one takes no room), so
   * screen readers announce every new message. */
  showError(message: string): void {
    this.error.textContent = message;
  }

  showOffline(offline: boolean): void {
    this.offline.textContent = offline ? 'You are offline. The model runs on the server: your drawing waits here until the connection is back.' : '';
  }

  say(message: string): void {
    this.fixStatus.textContent = message;
  }

  enableFix(on: boolean): void {
    this.fix.disabled = !on;
  }
}
