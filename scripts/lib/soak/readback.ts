import { join } from 'node:path';
import { Miniflare } from 'miniflare';
import type { Applied, Round } from '../../../functions/trainer/state.ts';
import type { ArchivePage, Manifest } from '../../../src/registry/manifest.ts';

/** What a stopped `wrangler dev` left in its state folder: the trainer's records and the registry's manifest. */
export interface StateReadBack {
  /** Every delivery the trainer recorded as applied (`applied:<id>` in its storage). */
  applied: Map<string, Applied>;
  /** Its `appliedCount` counter. */
  appliedCount: number;
  /** The newest rounds it keeps (functions/trainer/state.ts ROUNDS_KEPT). */
  rounds: Round[];
  manifest: Manifest | null;
  /** The manifest's archive pages, oldest first (older versions and decisions moved out of it). */
  archived: ArchivePage[];
}

// A stand-in for the Worker that only reads: the same worker name and Durable Object class (so the
// same object ids and SQLite files), and the same bucket. It runs on Miniflare, which wrangler dev
// runs on, over the folder wrangler dev persisted to.
const READER = `
import { DurableObject } from 'cloudflare:workers';
export class ModelTrainer extends DurableObject {
  async fetch() {
    const s = this.ctx.storage;
    return Response.json({
      applied: [...(await s.list({ prefix: 'applied:' }))].map(([k, v]) => [k.slice('applied:'.length), v]),
      appliedCount: (await s.get('appliedCount')) ?? 0,
      rounds: [...(await s.list({ prefix: 'round:' })).values()],
    });
  }
}
export default {
  async fetch(request, env) {
    const model = new URL(request.url).searchParams.get('model');
    const trainer = await (await env.TRAINER.get(env.TRAINER.idFromName(model)).fetch('http://trainer/')).json();
    const stored = await env.MODELS.get('models/' + model + '/manifest.json');
    const manifest = stored ? JSON.parse(await stored.text()) : null;
    const archived = [];
    for (const key of manifest?.archive?.pages ?? []) archived.push(JSON.parse(await (await env.MODELS.get(key)).text()));
    return Response.json({ ...trainer, manifest, archived });
  },
};`;

/**
 * Reads the trainer's records and the manifest of `model` from the state folder of a stopped
 * `wrangler dev` (`--persist-to`), independently of the Worker's routes.
 *
 * @example
 * const { applied, manifest } = await readBackState(server.state);
 */
export async function readBackState(state: string, model = 'digits', names = { worker: 'nutshell-api', trainerClass: 'ModelTrainer', bucket: 'nutshell-models' }): Promise<StateReadBack> {
  const mf = new Miniflare({
    name: names.worker,
    modules: true,
    script: READER,
    compatibilityDate: '2026-04-20',
    durableObjects: { TRAINER: { className: names.trainerClass, useSQLite: true } },
    durableObjectsPersist: join(state, 'v3/do'),
    r2Buckets: { MODELS: names.bucket },
    r2Persist: join(state, 'v3/r2'),
  });
  try {
    const res = await mf.dispatchFetch(`http://reader/?model=${encodeURIComponent(model)}`);
    const body = (await res.json()) as { applied: Array<[string, Applied]>; appliedCount: number; rounds: Round[]; manifest: Manifest | null; archived: ArchivePage[] };
    return { applied: new Map(body.applied), appliedCount: body.appliedCount, rounds: body.rounds, manifest: body.manifest, archived: body.archived };
  } finally {
    await mf.dispose();
  }
}
