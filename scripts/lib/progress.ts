import cliProgress from 'cli-progress';
import type { BatchInfo } from '../../src/nn/train.ts';

/**
 * A progress bar per epoch with the running loss, accuracy and examples per second. Outside a
 * terminal (CI logs) it prints a line every few seconds instead of redrawing.
 */
export class TrainingProgress {
  private bar: cliProgress.SingleBar | null = null;
  private epoch = 0;

  constructor(private readonly epochs: number) {}

  update(info: BatchInfo): void {
    if (info.epoch !== this.epoch) {
      this.bar?.stop();
      this.epoch = info.epoch;
      this.bar = new cliProgress.SingleBar(
        {
          format: `epoch ${info.epoch}/${this.epochs} {bar} {percentage}% | loss {loss} | acc {acc} | {speed} ex/s | eta {eta_formatted}`,
          noTTYOutput: true,
          notTTYSchedule: 5000,
          hideCursor: true,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(info.batches, 0, { loss: '-', acc: '-', speed: '-' });
    }
    this.bar!.update(info.batch, {
      loss: info.loss.toFixed(4),
      acc: (100 * info.accuracy).toFixed(2) + '%',
      speed: Math.round(info.examplesPerSecond).toLocaleString('en-US'),
    });
  }

  stop(): void {
    this.bar?.stop();
    this.bar = null;
  }
}
