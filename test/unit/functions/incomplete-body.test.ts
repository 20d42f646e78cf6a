import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { createApp } from '../../../functions/app.ts';
import { ApiError } from '../../../functions/http/errors.ts';
import { readBody } from '../../../functions/http/body.ts';
import { Engines } from '../../../functions/inference/engines.ts';
import { ModelCatalog } from '../../../functions/models/catalog.ts';

// A body whose stream breaks off mid-way (its client went away) is the request's fault: a 400 in the
// API's error shape, never an unexpected failure.

const bytes = new Uint8Array(readFileSync(join(import.meta.dirname, '../../../models/digits.onnx')));

/** A stream that gives one chunk, then fails as a dropped connection does. */
function breaksOff(): ReadableStream<Uint8Array> {
  let sent = false;
  return new ReadableStream<Uint8Array>({
    pull(c) {
      if (sent) return c.error(new Error('Network connection lost.'));
      sent = true;
      c.enqueue(new Uint8Array(1024).fill(0x89));
    },
  });
}

const request = (path: string, contentType: string, headers: Record<string, string> = {}) =>
  new Request(`http://worker${path}`, { method: 'POST', headers: { 'content-type': contentType, ...headers }, body: breaksOff(), duplex: 'half' } as RequestInit);

describe('a body that breaks off', () => {
  it('readBody refuses it with 400 incomplete_body, naming what was read, its length declared or not', async () => {
    for (const headers of [{}, { 'content-length': '4096' }] as Array<Record<string, string>>) {
      const refusal = await readBody(request('/x', 'image/png', headers), 1 << 20, 'image').catch((e: unknown) => e);
      expect(refusal).toBeInstanceOf(ApiError);
      expect(refusal).toMatchObject({ status: 400, code: 'incomplete_body' });
      expect((refusal as Error).message).toContain('the image broke off');
    }
  });

  it('is a 400 on every route that reads a body, logged as no failure', async () => {
    const app = createApp({ catalog: new ModelCatalog([{ name: 'digits', bytes }]), engines: new Engines() });
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      for (const [path, type] of [['/v1/predict', 'image/png'], ['/v1/predict', 'application/json'], ['/v1/predict', 'multipart/form-data; boundary=x'], ['/v1/feedback', 'application/json']]) {
        const res = await app.request(request(path, type), undefined, {});
        expect(res.status, `${path} ${type}`).toBe(400);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe('incomplete_body');
      }
      expect(logged).not.toHaveBeenCalled();
    } finally {
      logged.mockRestore();
    }
  });
});
