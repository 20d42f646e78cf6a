import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODEL_LIST_KEY, ModelList, ModelRegistry, RegistryError, sweep, versionKey, type ObjectStore, type SweepStore } from '../../../src/registry/index.ts';
import { localR2 } from './local-r2.ts';

let store: SweepStore;
let dispose: () => Promise<void>;
beforeAll(async () => {
  const r2 = await localR2();
  store = r2.store as SweepStore;
  dispose = r2.dispose;
});
afterAll(() => dispose());

const DAY = 24 * 3600 * 1000;
const T0 = Date.parse('2026-12-01T00:00:00Z');
const model = (n: number) => new TextEncoder().encode(`model bytes ${n} `.repeat(40));
const objects = async (name: string) => (await store.list({ prefix: `models/${name}/` })).objects.map((o) => o.key).filter((k) => k.endsWith('.onnx')).sort();
/** A registry whose clock says `daysAgo` days before T0. */
const at = (name: string, daysAgo: number, o: { kept?: number; archiveBatch?: number } = {}) => new ModelRegistry(store, name, { now: () => new Date(T0 - daysAgo * DAY), ...o });

/** v1 offline 60 days ago, v2-v6 online 50-42 days ago, v7 online yesterday (current). */
async function history(name: string, o: { kept?: number; archiveBatch?: number } = {}) {
  await at(name, 60, o).publish(model(1), { source: 'offline' });
  for (let k = 2; k <= 6; k++) await at(name, 52 - 2 * k, o).publish(model(k), { source: 'online' });
  await at(name, 1, o).publish(model(7), { source: 'online' });
}

describe('retention of online versions', () => {
  it('retires online versions past the window, never the current one, its parent or an offline version; sweep deletes their objects', async () => {
    const name = 'ret-a';
    await history(name);
    const { manifest, retired } = await at(name, 0).retire(new Date(T0 - 30 * DAY));
    expect(retired).toEqual(['v2', 'v3', 'v4', 'v5']);
    expect(manifest.versions.map((v) => v.version)).toEqual(['v1', 'v6', 'v7']);
    expect(manifest.retired).toEqual({ below: 7, kept: ['v6'] });
    // Objects go at the sweep (a retired version is never read again, so the order is safe).
    expect(await objects(name)).toHaveLength(7);
    const swept = await sweep(at(name, 0), store, { now: new Date(T0), graceMs: 3600_000 });
    expect(swept.retired.sort()).toEqual([2, 3, 4, 5].map((k) => versionKey(name, `v${k}`)));
    expect(swept.orphans).toEqual([]);
    expect(await objects(name)).toEqual(['v1', 'v6', 'v7'].map((v) => versionKey(name, v)));

    // A retired version cannot come back; one rollback still works, the next one finds its parent gone.
    await expect(at(name, 0).promote('v3')).rejects.toMatchObject({ code: 'not_found', message: expect.stringMatching(/deleted by retention/) });
    expect((await at(name, 0).rollback()).current).toBe('v6');
    await expect(at(name, 0).rollback()).rejects.toBeInstanceOf(RegistryError);
    // Version numbers are never reused.
    expect((await at(name, 0).publish(model(8), { source: 'online' })).version).toBe('v8');
    // Nothing left to do: a second pass changes nothing.
    const again = await at(name, 0).retire(new Date(T0 - 30 * DAY));
    expect(again.retired).toEqual([]);
    expect((await sweep(at(name, 0), store, { now: new Date(T0), graceMs: 0 })).retired).toEqual([]);
  });

  it('a version kept as the current one\'s parent is retired once the current version moves on', async () => {
    const name = 'ret-b';
    await history(name);
    await at(name, 0).retire(new Date(T0 - 30 * DAY));
    await at(name, 0).publish(model(8), { source: 'online' }); // v8, parent v7: v6 is no longer anyone's parent
    const { retired, manifest } = await at(name, 0).retire(new Date(T0 - 30 * DAY));
    expect(retired).toEqual(['v6']);
    expect(manifest.retired.kept).toEqual([]);
    expect(manifest.versions.map((v) => v.version)).toEqual(['v1', 'v7', 'v8']);
  });

  it('archived online versions below the mark are deleted too; archived ones within the window stay', async () => {
    const name = 'ret-c';
    const o = { kept: 2, archiveBatch: 2 };
    await history(name, o);
    const { manifest: before } = await at(name, 0, o).read();
    expect(before.archive.versions).toBeGreaterThan(0);
    await at(name, 0, o).retire(new Date(T0 - 30 * DAY));
    await sweep(at(name, 0, o), store, { now: new Date(T0), graceMs: 3600_000 });
    expect(await objects(name)).toEqual(['v1', 'v6', 'v7'].map((v) => versionKey(name, v)));
  });

  it('forks are anchors: never retired, never archived', async () => {
    const name = 'ret-d';
    await at(name, 60).fork({ model: 'digits', version: 'v3', sha256: 'a'.repeat(64), bytes: model(0) });
    for (let k = 2; k <= 4; k++) await at(name, 50).publish(model(k), { source: 'online' });
    const { manifest } = await at(name, 0).retire(new Date(T0 - 30 * DAY));
    expect(manifest.versions.map((v) => [v.version, v.source])).toEqual([['v1', 'fork'], ['v3', 'online'], ['v4', 'online']]);
    expect(manifest.versions[0]).toMatchObject({ parent: null, base: { model: 'digits', version: 'v3' }, anchor: 'v1' });
  });
});

describe('sweeping orphans', () => {
  it('deletes objects no manifest or archive page names, once they are older than the grace period', async () => {
    const name = 'ret-e';
    await at(name, 0).publish(model(1), { source: 'offline' });
    await store.put(versionKey(name, 'v9'), model(9)); // a publish that failed before its manifest update
    await store.put(`models/${name}/archive/${'f'.repeat(64)}.json`, '{"unnamed":true}'); // an archiving that lost its swap
    const young = await sweep(at(name, 0), store, { now: new Date(), graceMs: 3600_000 });
    expect(young.orphans).toEqual([]); // may belong to a publish in progress
    const old = await sweep(at(name, 0), store, { now: new Date(Date.now() + 2 * 3600_000), graceMs: 3600_000 });
    expect(old.orphans.sort()).toEqual([`models/${name}/archive/${'f'.repeat(64)}.json`, versionKey(name, 'v9')]);
    expect(await objects(name)).toEqual([versionKey(name, 'v1')]);
    expect(await store.get(`models/${name}/manifest.json`)).not.toBeNull();
  });

  it('a sweep cut short by a failing delete leaves the manifest intact; the next one finishes', async () => {
    const name = 'ret-f';
    await history(name);
    await at(name, 0).retire(new Date(T0 - 30 * DAY));
    let deletes = 0;
    const failing: SweepStore = {
      get: (k) => store.get(k), head: (k) => store.head(k), put: (k, v, o) => store.put(k, v, o), list: (o) => store.list(o),
      delete: async (key) => {
        if (++deletes === 2) throw new Error('R2 delete failed (injected)');
        await store.delete(key);
      },
    };
    const manifestBefore = (await at(name, 0).read()).manifest;
    await expect(sweep(at(name, 0), failing, { now: new Date(T0), graceMs: 3600_000 })).rejects.toThrow(/injected/);
    expect((await at(name, 0).read()).manifest).toEqual(manifestBefore);
    expect((await at(name, 0).serving())?.version.version).toBe('v7');
    await sweep(at(name, 0), store, { now: new Date(T0), graceMs: 3600_000 });
    expect(await objects(name)).toEqual(['v1', 'v6', 'v7'].map((v) => versionKey(name, v)));
  });
});

describe('the list of models', () => {
  it('registers personal models once each, up to the limit (bundled ones count)', async () => {
    const list = new ModelList(store as ObjectStore, ['digits']);
    await store.delete(MODEL_LIST_KEY);
    expect(await list.register('writer-a', 'digits', 3)).toMatchObject({ created: true, entry: { name: 'writer-a', base: 'digits' } });
    expect(await list.register('writer-a', 'other', 3)).toMatchObject({ created: false, entry: { base: 'digits' } });
    await expect(list.register('digits', 'digits', 3)).rejects.toMatchObject({ code: 'conflict' });
    await expect(list.register('Bad_Name', 'digits', 3)).rejects.toMatchObject({ code: 'invalid_name' });
    // Five first deliveries race for the one place left: exactly one gets it.
    const results = await Promise.allSettled(['w1', 'w2', 'w3', 'w4', 'w5'].map((n) => new ModelList(store as ObjectStore, ['digits']).register(n, 'digits', 3)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results.filter((x) => x.status === 'rejected')) expect((r as PromiseRejectedResult).reason).toMatchObject({ code: 'limit' });
    expect((await list.read()).models.map((m) => m.name)).toHaveLength(2);
  });
});
