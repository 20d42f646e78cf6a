import { Miniflare } from 'miniflare';
import type { ObjectStore } from '../../../src/registry/object-store.ts';

/** A real local R2 bucket (Miniflare, in memory), as `wrangler dev` gives the Worker. */
export async function localR2(): Promise<{ store: ObjectStore; dispose: () => Promise<void> }> {
  const mf = new Miniflare({ modules: true, script: 'export default { fetch() { return new Response(null); } }', r2Buckets: ['MODELS'] });
  const bucket = await mf.getR2Bucket('MODELS');
  return { store: bucket as unknown as ObjectStore, dispose: () => mf.dispose() };
}
