import { describe, expect, it } from 'vitest';
import type { Applied } from '../../../functions/trainer/state.ts';
import { slope, summariseRss, type RssSample } from '../../../scripts/lib/memory.ts';
import { checkExactlyOnce } from '../../../scripts/lib/soak/exactly-once.ts';
import type { StateReadBack } from '../../../scripts/lib/soak/readback.ts';
import { emptyManifest, type ModelVersion } from '../../../src/registry/manifest.ts';

// The soak's verdicts rest on these two judges; each must see what it is there to see.

const MiB = 1024 * 1024;
const applied = (examples: number): Applied => ({ outcome: 'accepted', version: 'v1', at: '2026-11-26T00:00:00Z', examples });
const version = (v: string, deliveries: string[]): ModelVersion => ({
  version: v, key: `models/digits/${v}.onnx`, sha256: '0'.repeat(64), bytes: 1, parent: null, source: 'online', createdAt: '', metrics: {}, deliveries,
});

function readBack(records: Record<string, number>, versions: ModelVersion[]): StateReadBack {
  return {
    applied: new Map(Object.entries(records).map(([id, n]) => [id, applied(n)])),
    appliedCount: Object.keys(records).length,
    rounds: [],
    manifest: { ...emptyManifest('digits'), versions },
    archived: [],
  };
}

describe('checkExactlyOnce', () => {
  it('passes when every accepted delivery was applied once with all its examples', () => {
    const r = checkExactlyOnce(new Map([['a', 3], ['b', 2]]), readBack({ a: 3, b: 2 }, [version('v1', ['a']), version('v2', ['b'])]), new Map([['a', 1], ['b', 1]]), 2);
    expect(r).toMatchObject({ deliveriesAccepted: 2, examplesAccepted: 5, deliveriesApplied: 2, examplesApplied: 5, lost: [], examplesLost: 0, appliedTwice: [], unexpected: [], examplesMismatched: [] });
  });

  it('names a lost delivery, one applied twice, one applied without a 202, and one applied short', () => {
    const r = checkExactlyOnce(
      new Map([['lost', 4], ['twice', 1], ['short', 5]]),
      readBack({ twice: 1, short: 3, stranger: 2 }, [version('v1', ['twice']), version('v2', ['twice', 'short'])]),
      new Map([['twice', 1], ['short', 2]]),
      3,
    );
    expect(r.lost).toEqual(['lost']);
    expect(r.examplesLost).toBe(4 + 2);
    expect(r.appliedTwice.sort()).toEqual(['short', 'twice']); // twice in the manifest; 'short' in two decisions
    expect(r.unexpected).toEqual(['stranger']);
    expect(r.examplesMismatched).toEqual(['short: accepted 5, applied 3']);
  });
});

describe('checkExactlyOnce with archived versions', () => {
  it('counts the versions moved to archive pages: a delivery there and in the manifest was applied twice', () => {
    const back = readBack({ a: 1, b: 1 }, [version('v3', ['b'])]);
    back.archived = [{ name: 'digits', archivedAt: '', versions: [version('v1', ['a']), version('v2', ['b'])], decisions: [], events: [] }];
    const r = checkExactlyOnce(new Map([['a', 1], ['b', 1]]), back, new Map([['a', 1], ['b', 1]]), 2);
    expect(r.appliedTwice).toEqual(['b']);
    expect(r.versions).toBe(3);
  });
});

describe('summariseRss', () => {
  const series = (f: (t: number) => number): RssSample[] => Array.from({ length: 61 }, (_, t) => ({ t, rss: f(t) * MiB }));

  it('reads a flat series as flat after a warm-up that climbs', () => {
    const m = summariseRss(series((t) => (t < 10 ? 100 + 20 * t : 300)), 0.25);
    expect(m.slopeMiBPerMin).toBeCloseTo(0, 9);
    expect(m.startMiB).toBeCloseTo(300, 9);
    expect(m.peakMiB).toBeCloseTo(300, 9);
  });

  it('reads a leak of 1 MiB a second as 60 MiB a minute', () => {
    const m = summariseRss(series((t) => 200 + t), 0.25);
    expect(m.slopeMiBPerMin).toBeCloseTo(60, 9);
    expect(m.endMiB).toBeGreaterThan(m.startMiB + 35);
  });

  it('slope is the least-squares fit', () => {
    expect(slope([[0, 1], [1, 3], [2, 5]])).toBeCloseTo(2, 12);
    expect(slope([[0, 1]])).toBeNaN();
  });
});
