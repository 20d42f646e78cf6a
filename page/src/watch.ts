import { listModels, type ModelId } from './api.ts';

/** How often, and how many times, the page asks for the current model after a correction:
 * every 5 s for 3 minutes, 36 small GETs at most, and none while the tab is hidden. */
export const WATCH_INTERVAL_MS = 5000;
export const WATCH_TIMES = 36;

/**
 * Watches the served version of a model after a correction, until it changes or the watch times
 * out; a new watch replaces the previous one.
 *
 * @example
 * watch.start({ name: 'digits', version: 'v3' }, (v) => show(`now serving ${v}`), () => show('no new version yet'));
 */
export class VersionWatch {
  private timer: ReturnType<typeof setTimeout> | undefined;

  start(model: ModelId, onChange: (version: string) => void, onGiveUp: () => void): void {
    this.stop();
    let left = WATCH_TIMES;
    const tick = async () => {
      this.timer = undefined;
      if (!document.hidden) {
        left--;
        try {
          const current = (await listModels()).models.find((m) => m.name === model.name);
          if (current && current.version !== model.version) return onChange(current.version);
        } catch {
          // Offline for a moment: the next tick asks again.
        }
      }
      if (left > 0) this.timer = setTimeout(tick, WATCH_INTERVAL_MS);
      else onGiveUp();
    };
    this.timer = setTimeout(tick, WATCH_INTERVAL_MS);
  }

  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
