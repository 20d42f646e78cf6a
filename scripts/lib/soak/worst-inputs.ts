import type { RunningWorker } from '../../bench/predict-http.ts';
import { rssOf } from '../memory.ts';
import type { TestImage } from '../worst-images.ts';

/** One costly input, as a fresh Worker answered it. */
export interface WorstInputAnswer {
  label: string;
  bytes: number;
  /** The HTTP status, or what went wrong ('no answer: ...') when the Worker did not answer. */
  status: number | string;
  ms: number;
  /** The Worker's RSS once warm, just before the input (MiB). */
  rssBeforeMiB: number;
  /** Its highest RSS while answering, less that (MiB): what this input took. */
  growthMiB: number;
}

export interface WorstInputsResult {
  answers: WorstInputAnswer[];
  /** The input that took the most, and how much (MiB). */
  worst: { label: string; growthMiB: number } | null;
  slowest: { label: string; ms: number } | null;
  /** Answers whose status was not one the input allows. */
  unexpected: string[];
}

const MiB = 1024 * 1024;

/**
 * Sends each input to a Worker of its own, started fresh by `start` and warmed with one small
 * prediction (`warm`), sampling the RSS of its process every 5 ms: each answer's time and the memory
 * it took above what the warm Worker held. A process's RSS seldom falls back (its allocator and V8
 * keep freed pages), so inputs sent one after another to one process would add up; alone, each is
 * measured for what it is. `concurrency` Workers run at once.
 *
 * @example
 * const r = await measureEachAlone(worstImages(limits), () => startWorkerd(bundle, 'core'), warmUp, 2);
 */
export async function measureEachAlone(
  inputs: TestImage[],
  start: () => Promise<RunningWorker>,
  warm: (url: string) => Promise<void>,
  concurrency: number,
  log: (line: string) => void = () => {},
): Promise<WorstInputsResult> {
  const answers: WorstInputAnswer[] = new Array(inputs.length);
  const unexpected: string[] = [];
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < inputs.length; i = next++) {
      const input = inputs[i];
      const worker = await start();
      try {
        await warm(worker.url);
        const { answer, text } = await measureOne(worker, input);
        answers[i] = answer;
        if (typeof answer.status !== 'number' || !input.expect.includes(answer.status)) unexpected.push(`${input.label}: ${answer.status} ${text.slice(0, 160)}`);
        log(`  ${input.label}: ${answer.status} in ${answer.ms.toFixed(0)} ms, ${answer.rssBeforeMiB.toFixed(0)} MiB warm + ${answer.growthMiB.toFixed(1)} MiB`);
      } finally {
        await worker.stop();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, lane));
  const by = <K extends 'growthMiB' | 'ms'>(k: K) => answers.reduce<WorstInputAnswer | null>((best, a) => (!best || a[k] > best[k] ? a : best), null);
  const worst = by('growthMiB');
  const slowest = by('ms');
  return {
    answers,
    worst: worst && { label: worst.label, growthMiB: worst.growthMiB },
    slowest: slowest && { label: slowest.label, ms: slowest.ms },
    unexpected,
  };
}

async function measureOne(worker: RunningWorker, input: TestImage): Promise<{ answer: WorstInputAnswer; text: string }> {
  const pid = worker.process.pid!;
  const before = rssOf(pid) ?? NaN;
  let high = before;
  const timer = setInterval(() => {
    const rss = rssOf(pid);
    if (rss !== null && rss > high) high = rss;
  }, 5);
  const t0 = performance.now();
  let status: number | string;
  let text = '';
  try {
    const res = await fetch(`${worker.url}/v1/predict`, { method: 'POST', headers: { 'content-type': input.contentType }, body: input.bytes });
    text = await res.text();
    status = res.status;
  } catch (e) {
    status = `no answer: ${(e as Error).message}`;
  }
  const ms = performance.now() - t0;
  clearInterval(timer);
  high = Math.max(high, rssOf(pid) ?? 0);
  return { answer: { label: input.label, bytes: input.bytes.length, status, ms, rssBeforeMiB: before / MiB, growthMiB: (high - before) / MiB }, text };
}
