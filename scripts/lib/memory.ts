import { readFileSync } from 'node:fs';

/** Resident set size of a process in bytes (Linux: /proc/<pid>/status VmRSS), or null once it is gone. */
export function rssOf(pid: number): number | null {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** One sample: seconds since sampling began, and the resident set size in bytes. */
export interface RssSample {
  t: number;
  rss: number;
}

/**
 * Samples a process's RSS every `everyMs` until stopped.
 *
 * @example
 * const sampler = sampleRss(pid, 1000); ...; const samples = sampler.stop();
 */
export function sampleRss(pid: number, everyMs: number): { stop(): RssSample[]; samples: RssSample[] } {
  const samples: RssSample[] = [];
  const t0 = performance.now();
  const take = () => {
    const rss = rssOf(pid);
    if (rss !== null) samples.push({ t: (performance.now() - t0) / 1000, rss });
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    samples,
    stop() {
      clearInterval(timer);
      take();
      return samples;
    },
  };
}

/** What a series of RSS samples says: the level after warm-up, the peak, and the trend. */
export interface MemorySummary {
  samples: number;
  seconds: number;
  /** Mean RSS over the first tenth after the warm-up, and over the last tenth (MiB). */
  startMiB: number;
  endMiB: number;
  peakMiB: number;
  /** Least-squares slope over the samples after the warm-up, in MiB per minute. */
  slopeMiBPerMin: number;
  /** Samples before this many seconds are the warm-up, left out of the slope. */
  warmupSeconds: number;
}

const MiB = 1024 * 1024;

/**
 * Summarises RSS samples, leaving out the first `warmupFraction` of the time as warm-up.
 *
 * @example
 * summariseRss(samples, 0.25).slopeMiBPerMin; // about 0 when memory is flat
 */
export function summariseRss(samples: RssSample[], warmupFraction = 0.25): MemorySummary {
  if (!samples.length) return { samples: 0, seconds: 0, startMiB: NaN, endMiB: NaN, peakMiB: NaN, slopeMiBPerMin: NaN, warmupSeconds: 0 };
  const seconds = samples[samples.length - 1].t;
  const warmupSeconds = seconds * warmupFraction;
  const steady = samples.filter((s) => s.t >= warmupSeconds);
  const tenth = Math.max(1, Math.floor(steady.length / 10));
  const mean = (xs: RssSample[]) => xs.reduce((a, s) => a + s.rss, 0) / xs.length / MiB;
  return {
    samples: samples.length,
    seconds,
    startMiB: mean(steady.slice(0, tenth)),
    endMiB: mean(steady.slice(-tenth)),
    peakMiB: Math.max(...samples.map((s) => s.rss)) / MiB,
    slopeMiBPerMin: slope(steady.map((s) => [s.t, s.rss / MiB])) * 60,
    warmupSeconds,
  };
}

/** Least-squares slope of y over x (NaN for fewer than two points). */
export function slope(points: Array<[number, number]>): number {
  const n = points.length;
  if (n < 2) return NaN;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const [x, y] of points) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
  }
  return sxx === 0 ? NaN : sxy / sxx;
}
