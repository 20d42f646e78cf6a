import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Miniflare } from 'miniflare';
import * as ortWeb from 'onnxruntime-web/wasm';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../../functions/app.ts';
import type { Bindings } from '../../../functions/context.ts';
import { Engines } from '../../../functions/inference/engines.ts';
import { LocalOnnxRuntime } from '../../../functions/inference/local-onnxruntime.ts';
import { ModelCatalog } from '../../../functions/models/catalog.ts';
import { readHoldout } from '../../../functions/trainer/sets.ts';
import { Network } from '../../../src/nn/network.ts';
import { exportOnnx } from '../../../src/onnx/export.ts';
import { ModelRegistry, type ObjectStore } from '../../../src/registry/index.ts';
import { sha256Hex } from '../../../src/util/sha256.ts';

// npm run publish and npm run webhook as a user runs them: in a directory of their own, against a
// real local R2 (the one `npm start` persists) and a real HTTP server that verifies signatures with
// the `standardwebhooks` library.

const root = resolve(import.meta.dirname, '../../..');
const tsx = join(root, 'node_modules/.bin/tsx');
const run = promisify(execFile);
const script = (name: string, args: string[], cwd: string, env: Record<string, string> = {}) =>
  run(tsx, [join(root, 'scripts', name), ...args], { cwd, env: { ...process.env, NUTSHELL_DEBUG: '', ...env } });
/** A directory laid out like a checkout: wrangler.toml, and what the test puts there. */
function project(): string {
  const dir = mkdtempSync(join(tmpdir(), 'nutshell-online-'));
  copyFileSync(join(root, 'wrangler.toml'), join(dir, 'wrangler.toml'));
  return dir;
}

describe('npm run publish', () => {
  it('with no Worker answering, checks the model and writes it into the local R2 that npm start serves, metrics from its card', async () => {
    const dir = project();
    const model = join(dir, 'mine.onnx');
    const bytes = new Uint8Array(readFileSync(join(root, 'models/digits.onnx')));
    writeFileSync(model, bytes);
    writeFileSync(join(dir, 'mine.json'), JSON.stringify({ metrics: { testAccuracy: 0.9511, perClassAccuracy: [1, 2] } }));
    const { stdout } = await script('publish.ts', [model, '--url', 'http://127.0.0.1:9', '--note', 'from a test'], dir);
    expect(stdout).toMatch(/loads in onnxruntime-node, 784 -> 10, imports into the core/);
    expect(stdout).toMatch(/published digits v1 .* into the local R2 of npm start/);

    const mf = new Miniflare({ modules: true, script: 'export default { fetch() { return new Response(null); } }', r2Buckets: { MODELS: 'nutshell-models' }, r2Persist: join(dir, '.wrangler/state/v3/r2') });
    try {
      const registry = new ModelRegistry((await mf.getR2Bucket('MODELS')) as unknown as ObjectStore, 'digits');
      const { manifest } = await registry.read();
      expect(manifest.current).toBe('v1');
      expect(manifest.versions[0]).toMatchObject({ source: 'offline', note: 'from a test', metrics: { testAccuracy: 0.9511 }, sha256: await sha256Hex([bytes]) });
    } finally {
      await mf.dispose();
    }
  });

  it('with a Worker answering, publishes through its admin route (the typed client), as the Worker checks, scores and stores it', async () => {
    // The Worker's app itself, in this process, behind a plain HTTP server; its R2 is Miniflare's;
    // uploads are scored on the Worker's own anchor holdout.
    ortWeb.env.wasm.numThreads = 1;
    const mf = new Miniflare({ modules: true, script: 'export default { fetch() { return new Response(null); } }', r2Buckets: { MODELS: 'models' } });
    const bytes = new Uint8Array(readFileSync(join(root, 'models/digits.onnx')));
    const holdout = readHoldout({ images: readFileSync(join(root, 'models/holdout-images.idx.gz')), labels: readFileSync(join(root, 'models/holdout-labels.idx.gz')) });
    const app = createApp({ catalog: new ModelCatalog([{ name: 'digits', bytes }]), engines: new Engines(), holdout: () => holdout });
    const env = { MODELS: (await mf.getR2Bucket('MODELS')) as unknown as Bindings['MODELS'], ADMIN_TOKEN: 'cli-admin-token', ONNXRUNTIME: new LocalOnnxRuntime(() => ortWeb) };
    const server = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const answer = await app.fetch(new Request(`http://worker${req.url}`, { method: req.method, headers: req.headers as Record<string, string>, body: chunks.length ? Buffer.concat(chunks) : undefined }), env);
      const headers: Record<string, string> = {};
      answer.headers.forEach((value, name) => (headers[name] = value));
      res.writeHead(answer.status, headers).end(Buffer.from(await answer.arrayBuffer()));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const dir = project();
      const model = join(dir, 'mine.onnx');
      writeFileSync(model, bytes);
      const refused = await script('publish.ts', [model, '--url', url], dir, { ADMIN_TOKEN: 'wrong' }).catch((e: { code: number; stderr: string }) => e);
      expect(refused).toMatchObject({ code: 1 });
      expect((refused as { stderr: string }).stderr).toMatch(/refused the model: 403 .*"forbidden".*set ADMIN_TOKEN/);

      const { stdout } = await script('publish.ts', [model, '--url', url, '--note', 'through the Worker'], dir, { ADMIN_TOKEN: 'cli-admin-token' });
      expect(stdout).toMatch(new RegExp(`published digits v1 \\(sha256 ${(await sha256Hex([bytes])).slice(0, 12)}\\.\\.\\.\\) to ${url}: now current`));
      const { manifest } = await new ModelRegistry(env.MODELS as unknown as ObjectStore, 'digits').read();
      expect(manifest.current).toBe('v1');
      expect(manifest.versions[0]).toMatchObject({ source: 'offline', note: 'through the Worker', metrics: { testAccuracy: expect.any(Number) } });

      // An untrained network is significantly worse on the holdout: stored, not current, and the script says so; --force makes it current.
      const untrained = join(dir, 'untrained.onnx');
      writeFileSync(untrained, await exportOnnx(new Network({ input: [784], layers: [{ type: 'dense', units: 10 }, { type: 'activation', fn: 'softmax' }] }, { seed: 1 })));
      const stored = await script('publish.ts', [untrained, '--url', url], dir, { ADMIN_TOKEN: 'cli-admin-token' });
      expect(stored.stdout).toMatch(new RegExp(`published digits v2 \\(sha256 [0-9a-f]{12}\\.\\.\\.\\) to ${url}, NOT current: v2 is stored but not current: significantly worse than v1 .*, or upload with \\?force=true$`, 'm'));
      expect((await new ModelRegistry(env.MODELS as unknown as ObjectStore, 'digits').read()).manifest.current).toBe('v1');
      const forced = await script('publish.ts', [untrained, '--url', url, '--force'], dir, { ADMIN_TOKEN: 'cli-admin-token' });
      expect(forced.stdout).toMatch(new RegExp(`published digits v3 .* to ${url}: now current`));
      expect((await new ModelRegistry(env.MODELS as unknown as ObjectStore, 'digits').read()).manifest.current).toBe('v3');
    } finally {
      server.close();
      await mf.dispose();
    }
  });

  it('refuses a model that does not fit 784 -> 10 before sending anything, with a clear message', async () => {
    const dir = project();
    const model = join(dir, 'five.onnx');
    writeFileSync(model, await exportOnnx(new Network({ input: [784], layers: [{ type: 'dense', units: 5 }, { type: 'activation', fn: 'softmax' }] }, { seed: 1 })));
    const failed = await script('publish.ts', [model, '--url', 'http://127.0.0.1:9'], dir).catch((e: { code: number; stderr: string }) => e);
    expect(failed).toMatchObject({ code: 1 });
    expect((failed as { stderr: string }).stderr).toMatch(/^error: .*five\.onnx cannot be published: it answers 5 values/);
    expect(existsSync(join(dir, '.wrangler'))).toBe(false);
  });
});

describe('npm run webhook', () => {
  it('signs the delivery so that standardwebhooks verifies it; MNIST pixels and image files, labels as given', async () => {
    const dir = project();
    const secret = 'whsec_c2NyaXB0LXRlc3Qtc2VjcmV0LWZvci13ZWJob29rcw==';
    writeFileSync(join(dir, '.dev.vars'), `ADMIN_TOKEN=x\nWEBHOOK_SECRET=${secret}\n`);
    const received: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ accepted: 3, delivery: req.headers['webhook-id'] }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const png = join(root, 'test/fixtures/digits/000-0-becausewebuild-canvas.png');
      const { stdout } = await script('webhook.ts', ['--url', url, '--label', '0', png, '--pixels-from-mnist', '2', '--offset', '100', '--relabel', '7', '--id', 'msg_cli_1'], dir);
      expect(stdout).toMatch(/^202 \{"accepted":3,"delivery":"msg_cli_1"\}/);
      const [{ headers, body }] = received;
      const verified = new Webhook(secret).verify(body, headers as Record<string, string>) as { model: string; examples: Array<{ label: number; image?: string; pixels?: number[] }> };
      expect(headers['webhook-id']).toBe('msg_cli_1');
      expect(verified.model).toBe('digits');
      expect(verified.examples.map((e) => e.label)).toEqual([0, 7, 7]);
      expect(Buffer.from(verified.examples[0].image!, 'base64')).toEqual(readFileSync(png));
      expect(verified.examples[1].pixels).toHaveLength(784);
      // A wrong secret would not verify: the signature is over these exact bytes.
      expect(() => new Webhook('whsec_b3RoZXItc2VjcmV0LW9mLXRoZS1zYW1lLWxlbmd0aA==').verify(body, headers as Record<string, string>)).toThrow();
    } finally {
      server.close();
    }
  });

  it('without a secret it says where to put one', async () => {
    const failed = await script('webhook.ts', ['--pixels-from-mnist', '1', '--url', 'http://127.0.0.1:9'], project(), { WEBHOOK_SECRET: '' }).catch((e: { stderr: string }) => e);
    expect((failed as { stderr: string }).stderr).toMatch(/WEBHOOK_SECRET is not set/);
  });
});
