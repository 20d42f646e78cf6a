/**
 * Runs a task for the latest state only: requests are debounced (a quiet period, with a longest
 * wait so that a person drawing without pause still sees updates), and at most one run is in
 * flight; requests made meanwhile fold into one more run after it. So drawing costs a request
 * every few hundred milliseconds at most, never one per pointer move.
 *
 * @example
 * const prediction = new LatestOnly(predictCanvas, 250, 800);
 * pad.onmove = () => prediction.request(); // debounced
 * pad.onlift = () => prediction.now();
 */
export class LatestOnly {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private firstRequest = 0;
  private running = false;
  private again = false;

  constructor(
    private readonly task: () => Promise<void>,
    private readonly quietMs: number,
    private readonly maxWaitMs: number,
    /** Called whenever the task becomes pending or idle. */
    private readonly onBusy: (busy: boolean) => void = () => {},
  ) {}

  /** True while a run is scheduled or in flight. */
  get busy(): boolean {
    return this.timer !== undefined || this.running;
  }

  /** Asks for a run after the quiet period (or the longest wait, counted from the first request). */
  request(): void {
    const now = performance.now();
    if (this.timer === undefined) this.firstRequest = now;
    else clearTimeout(this.timer);
    const wait = Math.max(0, Math.min(this.quietMs, this.firstRequest + this.maxWaitMs - now));
    this.timer = setTimeout(() => this.now(), wait);
    this.onBusy(true);
  }

  /** Runs now, or right after the run in flight. */
  now(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    this.onBusy(true);
    this.task()
      .catch((e: unknown) => console.error(e))
      .finally(() => {
        this.running = false;
        if (this.again) {
          this.again = false;
          this.now();
        } else {
          this.onBusy(this.busy);
        }
      });
  }

  /** Drops a scheduled run and any folded request (a run in flight finishes). */
  cancel(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.again = false;
    this.onBusy(this.busy);
  }
}
