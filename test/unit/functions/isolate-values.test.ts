import { describe, expect, it } from 'vitest';
import { IsolateValues } from '../../../functions/isolate-values.ts';

/** A load that resolves when told to, counting its calls. */
function gate<V>(value: V) {
  let calls = 0;
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { load: async () => (calls++, await opened, value), open: () => open(), calls: () => calls };
}

describe('IsolateValues: values shared by requests, never their promises', () => {
  it('concurrent first gets wait for one load and all get its value', async () => {
    const values = new IsolateValues<object>();
    const value = {};
    const g = gate(value);
    const all = Promise.all(Array.from({ length: 8 }, () => values.get('k', g.load)));
    await new Promise((r) => setTimeout(r, 20));
    g.open();
    expect(new Set(await all)).toEqual(new Set([value]));
    expect(g.calls()).toBe(1);
    expect(await values.get('k', async () => ({}))).toBe(value);
  });

  it('a failed load stores nothing: the waiting requests load it themselves', async () => {
    const values = new IsolateValues<string>();
    let open!: () => void;
    const failing = async () => {
      await new Promise<void>((r) => (open = r));
      throw new Error('R2 is down');
    };
    const first = values.get('k', failing);
    const second = values.get('k', async () => 'loaded again');
    await new Promise((r) => setTimeout(r, 10));
    open();
    await expect(first).rejects.toThrow('R2 is down');
    expect(await second).toBe('loaded again');
  });

  it('a stale value is served while another request refreshes it; maxAgeMs 0 always reads afresh', async () => {
    let t = 0;
    const values = new IsolateValues<string>(Infinity, () => t);
    expect(await values.get('m', async () => 'v1', { maxAgeMs: 1000 })).toBe('v1');
    t = 1500;
    const g = gate('v2');
    const refresh = values.get('m', g.load, { maxAgeMs: 1000 });
    expect(await values.get('m', async () => 'not asked', { maxAgeMs: 1000 })).toBe('v1');
    expect(await values.get('m', async () => 'fresh', { maxAgeMs: 0 })).toBe('fresh');
    g.open();
    expect(await refresh).toBe('fresh'); // stored while it loaded: one value for all
    expect(g.calls()).toBe(1);
  });

  it('keeps the most recently used beyond `keep`', async () => {
    const values = new IsolateValues<number>(2);
    for (const [k, v] of [['a', 1], ['b', 2]] as const) await values.get(k, async () => v);
    expect(values.peek('a')).toBe(1); // 'b' is now the least recently used
    await values.get('c', async () => 3);
    expect(values.keys()).toEqual(['a', 'c']);
  });
});
