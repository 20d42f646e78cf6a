import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import { describe, expect, it } from 'vitest';

// The main Worker (wrangler.toml) and the API Worker (functions/api/wrangler.toml) serve the same
// models: what both read must be configured alike, and each binding where its code reads it.
const root = join(import.meta.dirname, '../../..');
type Config = {
  name: string;
  vars: Record<string, string>;
  r2_buckets: Array<{ binding: string; bucket_name: string }>;
  services: Array<{ binding: string; service: string }>;
  durable_objects?: unknown;
  queues?: unknown;
  assets: { directory: string; binding?: string; run_worker_first: string[] };
};
const read = (path: string) => parse(readFileSync(join(root, path), 'utf8')) as unknown as Config;
const main = read('wrangler.toml');
const api = read('functions/api/wrangler.toml');
const onnxruntime = read('functions/onnxruntime/wrangler.toml');

describe('the Workers\' configurations', () => {
  it('give both predicting Workers the same engine, refresh and bucket', () => {
    for (const name of ['INFERENCE_ENGINE', 'MODEL_REFRESH_SECONDS']) {
      expect(main.vars[name], name).toBeDefined();
      expect(api.vars[name], name).toBe(main.vars[name]);
    }
    expect(api.r2_buckets).toEqual(main.r2_buckets);
  });

  it('bind the main Worker to the API Worker, and both to the onnxruntime Worker', () => {
    expect(main.services).toContainEqual({ binding: 'API', service: api.name });
    for (const c of [main, api]) expect(c.services).toContainEqual({ binding: 'ONNXRUNTIME', service: onnxruntime.name });
  });

  it('keep the trainers, the queues and the fixed sets in the API Worker, and the fixed sets unserved in both', () => {
    expect(main.durable_objects).toBeUndefined();
    expect(main.queues).toBeUndefined();
    expect(api.durable_objects).toBeDefined();
    expect(api.assets.binding).toBe('ASSETS');
    // The same folder of assets: the main Worker's page, the API Worker's fixed sets (page/public/sets).
    expect(join(root, 'functions/api', api.assets.directory)).toBe(join(root, main.assets.directory));
    for (const c of [main, api]) expect(c.assets.run_worker_first).toEqual(['/sets/*']);
  });
});
