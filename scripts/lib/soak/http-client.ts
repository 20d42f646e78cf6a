import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { FuzzRequest } from '../fuzz/case.ts';
import { DeadlineExceeded } from '../fuzz/send.ts';

/** An answer read whole. */
export interface RawAnswer {
  status: number;
  headers: Headers;
  body: string;
}

/**
 * Sends one request on a connection of its own (node:http, no keep-alive pool) and reads the answer
 * whole, within `deadlineMs`. One connection per request takes the client's pool out of what is
 * measured: a POST sent on a pooled connection the server has just closed fails with ECONNRESET
 * (Node's fetch retries only GET and HEAD), which says nothing about the Worker. Header values go
 * out byte for byte as given (Latin-1); a chunked body is streamed without Content-Length, and an
 * answer that arrives while it is still being sent (a 413) is kept.
 *
 * @example
 * const { status, body } = await sendOnce('http://127.0.0.1:8787', fuzzer.caseAt(0).steps[0].request, 15_000);
 */
export function sendOnce(origin: string, r: FuzzRequest, deadlineMs: number): Promise<RawAnswer> {
  const url = new URL(origin);
  return new Promise((resolve, reject) => {
    let settled = false;
    let response: IncomingMessage | null = null;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    const req = httpRequest({
      host: url.hostname, port: url.port, method: r.method, path: r.path, agent: false,
      // Raw headers (an array) go out as given, and without a Host header unless one is given.
      headers: [...(r.headers.some(([k]) => k.toLowerCase() === 'host') ? [] : ['Host', url.host]), ...r.headers.flat()],
    });
    const timer = setTimeout(() => {
      finish(() => reject(new DeadlineExceeded(`no answer within ${deadlineMs} ms`)));
      req.destroy();
    }, deadlineMs);
    req.on('response', (res) => {
      response = res;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const headers = new Headers();
        for (let i = 0; i < res.rawHeaders.length; i += 2) headers.append(res.rawHeaders[i], res.rawHeaders[i + 1]);
        finish(() => resolve({ status: res.statusCode ?? 0, headers, body: Buffer.concat(chunks).toString('utf8') }));
        req.destroy();
      });
      res.on('error', (e) => finish(() => reject(e)));
    });
    req.on('error', (e) => {
      // Writing a refused upload fails once the server closes; the answer, if it came, still counts.
      if (!response) finish(() => reject(e));
    });
    const body = r.body;
    if (body === undefined) req.end();
    else if (body instanceof Uint8Array) req.end(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
    else {
      const piece = Buffer.alloc(body.chunk, body.fill);
      let sent = 0;
      const pump = () => {
        while (sent < body.total && !response && !req.destroyed) {
          const n = Math.min(body.chunk, body.total - sent);
          sent += n;
          if (!req.write(n === body.chunk ? piece : piece.subarray(0, n))) return void req.once('drain', pump);
        }
        if (!req.destroyed) req.end();
      };
      pump();
    }
  });
}
