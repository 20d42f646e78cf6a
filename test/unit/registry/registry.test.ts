import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelRegistry, RegistryError, manifestKey, type ObjectStore } from '../../../src/registry/index.ts';
import { sha256Hex } from '../../../src/util/sha256.ts';
import { localR2 } from './local-r2.ts';

let store: ObjectStore;
let dispose: () => Promise<void>;
beforeAll(async () => ({ store, dispose } = await localR2()));
afterAll(() => dispose());

const model = (n: number) => new TextEncoder().encode(`model bytes ${n} `.repeat(50));

describe('model registry over R2 (Miniflare local R2)', () => {
  it('publishes immutable versions with sha256, parent and source; the newest is current', async () => {
    const r = new ModelRegistry(store, 'alpha');
    const v1 = await r.publish(model(1), { source: 'offline', metrics: { testAccuracy: 0.98 } });
    const v2 = await r.publish(model(2), { source: 'online' });
    expect([v1.version, v2.version]).toEqual(['v1', 'v2']);
    expect(v2.parent).toBe('v1');
    expect(v1.sha256).toBe(await sha256Hex([model(1)]));
    const { manifest } = await r.read();
    expect(manifest.current).toBe('v2');
    expect(manifest.versions.map((v) => v.source)).toEqual(['offline', 'online']);
    const serving = await r.serving();
    expect(serving?.version.version).toBe('v2');
    expect(new TextDecoder().decode(serving!.bytes)).toBe(new TextDecoder().decode(model(2)));
  });

  it('concurrent writers never lose a manifest update (compare-and-swap on the etag)', async () => {
    const writers = Array.from({ length: 12 }, () => new ModelRegistry(store, 'beta'));
    const published = await Promise.all(writers.map((w, i) => w.publish(model(100 + i), { source: 'online', makeCurrent: i % 2 === 0 })));
    const { manifest } = await writers[0].read();
    expect(new Set(published.map((v) => v.version)).size).toBe(12);
    expect(manifest.versions).toHaveLength(12);
    expect(manifest.versions.map((v) => v.version).sort()).toEqual(published.map((v) => v.version).sort());
  });

  it('promote and rollback move the current version; rollback goes to the parent', async () => {
    const r = new ModelRegistry(store, 'gamma');
    await r.publish(model(1), { source: 'offline' });
    await r.publish(model(2), { source: 'offline' });
    expect((await r.rollback()).current).toBe('v1');
    await expect(r.rollback()).rejects.toMatchObject({ code: 'no_parent' });
    expect((await r.promote('v2')).current).toBe('v2');
    await expect(r.promote('v9')).rejects.toMatchObject({ code: 'not_found' });
    const { manifest } = await r.read();
    expect(manifest.events.map((e) => e.action)).toEqual(['publish', 'publish', 'rollback', 'promote']);
  });

  it('a model that does not load is refused and nothing is written', async () => {
    const r = new ModelRegistry(store, 'delta', { verify: async () => { throw new Error('protobuf parsing failed'); } });
    await expect(r.publish(model(1), { source: 'offline' })).rejects.toMatchObject({ code: 'invalid_model' });
    expect(await store.get(manifestKey('delta'))).toBeNull();
    expect(await store.head('models/delta/v1.onnx')).toBeNull();
  });

  it('a corrupted version is never served: the nearest intact ancestor is', async () => {
    const r = new ModelRegistry(store, 'epsilon');
    await r.publish(model(1), { source: 'offline' });
    await r.publish(model(2), { source: 'offline' });
    // Overwrite v2's object behind the registry's back (bit rot, a bad manual upload).
    await store.put('models/epsilon/v2.onnx', new TextEncoder().encode('garbage'));
    const s = await r.serving();
    expect(s?.version.version).toBe('v1');
    expect(s?.skipped[0]).toMatch(/v2.*corrupt/);
    await expect(r.promote('v2')).rejects.toBeInstanceOf(RegistryError);
  });

  it('an orphaned object from a failed publish does not block the next version number', async () => {
    const r = new ModelRegistry(store, 'zeta');
    await store.put('models/zeta/v1.onnx', model(0)); // the object landed, the manifest update did not
    const v = await r.publish(model(1), { source: 'offline' });
    expect(v.version).toBe('v2');
    expect((await r.serving())?.version.version).toBe('v2');
  });

  it('refuses bad names and a malformed manifest with clear errors', async () => {
    expect(() => new ModelRegistry(store, '../etc')).toThrow(/model name/);
    await store.put(manifestKey('eta'), '{"name": "eta", "current": 7}');
    await expect(new ModelRegistry(store, 'eta').read()).rejects.toMatchObject({ code: 'corrupt' });
    // The refusal names where the first problem is and what it is.
    const version = { version: 'v1', key: 'models/theta/v1.onnx', sha256: 'not hex', bytes: 1, parent: null, source: 'offline', createdAt: '2026-01-01T00:00:00Z' };
    await store.put(manifestKey('theta'), JSON.stringify({ name: 'theta', current: 'v1', versions: [version] }));
    await expect(new ModelRegistry(store, 'theta').read()).rejects.toThrow(/the manifest of 'theta' is malformed: versions\.0\.sha256: Invalid format/);
  });

  describe('the manifest stays small: older entries move to archive pages, none is lost', () => {
    // 4 kept, 2 moved at a time: archiving starts when a list passes 6 entries.
    const small = (name: string) => new ModelRegistry(store, name, { kept: 4, archiveBatch: 2 });
    const decision = (k: number) => ({
      at: `t${k}`, parent: null, accepted: false, reason: `round ${k}`, holdoutAccuracy: 0.9, parentHoldoutAccuracy: 0.9, tolerance: 0.002, examples: 1, deliveries: [`d${k}`],
    });

    it('every version, decision and event is in the manifest or in exactly one archive page; numbers never repeat', async () => {
      const r = small('archive-a');
      await r.publish(model(0), { source: 'offline' });
      for (let k = 1; k < 20; k++) await r.publish(model(k), { source: 'online', deliveries: [`d${k}`] });
      for (let k = 0; k < 15; k++) await r.recordDecision({ ...decision(k), candidate: null });
      const { manifest } = await r.read();
      expect(manifest.versions.length).toBeLessThanOrEqual(6);
      expect(manifest.decisions.length).toBeLessThanOrEqual(6);
      expect(manifest.versions[0].version).toBe('v1'); // the offline version stays listed
      expect(manifest.current).toBe('v20');

      const pages = await r.archived(manifest);
      expect(pages).toHaveLength(manifest.archive.pages.length);
      const all = [...pages.flatMap((p) => p.versions), ...manifest.versions].map((v) => v.version);
      expect(all.sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)))).toEqual(Array.from({ length: 20 }, (_, i) => `v${i + 1}`));
      expect(manifest.archive.versions).toBe(20 - manifest.versions.length);
      const reasons = [...pages.flatMap((p) => p.decisions), ...manifest.decisions].map((d) => d.reason);
      expect(reasons).toEqual(Array.from({ length: 15 }, (_, k) => `round ${k}`));
      const events = [...pages.flatMap((p) => p.events), ...manifest.events];
      expect(events.map((e) => e.to)).toEqual(Array.from({ length: 20 }, (_, i) => `v${i + 1}`));
      expect(manifest.archive.decisions + manifest.decisions.length).toBe(15);

      // A number moved to the archive is never allocated again.
      expect(manifest.archive.lastNumber).toBeGreaterThan(0);
      expect((await r.publish(model(99), { source: 'online' })).version).toBe('v21');
    });

    it('online versions name their offline anchor, through archived lineage too', async () => {
      const r = small('archive-b');
      await r.publish(model(0), { source: 'offline' });
      for (let k = 1; k < 12; k++) await r.publish(model(k), { source: 'online' });
      const { manifest } = await r.read();
      expect(manifest.archive.versions).toBeGreaterThan(0);
      expect(manifest.versions.filter((v) => v.source === 'online').every((v) => v.anchor === 'v1')).toBe(true);
      await r.publish(model(50), { source: 'offline' });
      expect((await r.publish(model(51), { source: 'online' })).anchor).toBe('v13');
    });

    it('promote and rollback reach archived versions, which come back to the manifest', async () => {
      const r = small('archive-c');
      await r.publish(model(0), { source: 'offline' });
      for (let k = 1; k < 12; k++) await r.publish(model(k), { source: 'online' });
      const before = await r.read();
      expect(before.manifest.versions.some((v) => v.version === 'v3')).toBe(false);
      const promoted = await r.promote('v3');
      expect(promoted.current).toBe('v3');
      expect(promoted.versions.map((v) => v.version)).toContain('v3');
      expect((await r.serving())?.version.version).toBe('v3');
      const rolled = await r.rollback(); // v3's parent v2 is archived too
      expect(rolled.current).toBe('v2');
      expect(new TextDecoder().decode((await r.serving())!.bytes)).toBe(new TextDecoder().decode(model(1)));
      await expect(r.promote('v999')).rejects.toMatchObject({ code: 'not_found' });
    });

    it('a manifest written before archiving existed reads as one with nothing archived', async () => {
      await store.put(manifestKey('archive-d'), JSON.stringify({ name: 'archive-d', current: null, versions: [], decisions: [], events: [] }));
      const { manifest } = await small('archive-d').read();
      expect(manifest.archive).toEqual({ versions: 0, decisions: 0, events: 0, lastNumber: 0, pages: [] });
    });
  });
});
