/**
 * What every answer of the Worker must be, whatever it was sent: a 2xx where the input was valid,
 * otherwise a 4xx whose body is exactly `{ "error": { "code", "message" } }` as JSON; never a 5xx;
 * the API's security headers and CORS on every answer; no secret in any answer. Used by the
 * fuzzers (test/worker/fuzz.test.ts inside workerd, scripts/soak.ts over HTTP).
 */
import { PIXELS } from '../../../functions/limits.ts';
import type { Expectation } from './requests.ts';

/** An answer as the runner read it. */
export interface Answer {
  status: number;
  headers: Headers;
  /** The body as text (UTF-8). */
  body: string;
}

/**
 * The ways `answer` breaks the rules for a request of `method` expected to answer `expect`
 * (empty when it keeps them all). `secrets` must appear in no answer.
 *
 * @example
 * const problems = judge('POST', { statuses: [200] }, { status, headers, body }, [env.WEBHOOK_SECRET]);
 */
export function judge(method: string, expect: Expectation, answer: Answer, secrets: readonly string[] = []): string[] {
  const problems: string[] = [];
  const { status, headers, body } = answer;
  if (status >= 500) problems.push(`a ${status}: the server failed`);
  if (!expect.statuses.includes(status)) problems.push(`status ${status}, expected ${expect.statuses.join(' or ')}: ${body.slice(0, 200)}`);
  if (headers.get('x-content-type-options') !== 'nosniff') problems.push('no X-Content-Type-Options: nosniff');
  if (headers.get('access-control-allow-origin') !== '*') problems.push('no Access-Control-Allow-Origin: *');
  for (const s of secrets) if (s && body.includes(s)) problems.push('a secret appears in the answer');
  if (method === 'HEAD' || status === 204) {
    if (body.length) problems.push(`a ${method === 'HEAD' ? 'HEAD' : '204'} answer with a body`);
    return problems;
  }

  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    problems.push(`the body is not JSON: ${JSON.stringify(body.slice(0, 120))}`);
    return problems;
  }
  if (!/^application\/json\b/i.test(headers.get('content-type') ?? '')) problems.push(`Content-Type ${headers.get('content-type')}, not application/json`);

  if (status >= 400) problems.push(...errorShape(value, expect));
  else if (status === 200) problems.push(...predictionShape(value));
  else if (status === 202) problems.push(...acceptedShape(value, expect));
  return problems;
}

/** `{ "error": { "code": "snake_case", "message": "..." } }` and nothing else. */
function errorShape(value: unknown, expect: Expectation): string[] {
  const v = value as { error?: { code?: unknown; message?: unknown } };
  const keys = (o: unknown) => (o && typeof o === 'object' ? Object.keys(o).sort().join(',') : typeof o);
  if (keys(v) !== 'error' || keys(v.error) !== 'code,message') return [`the error body is not { error: { code, message } }: ${JSON.stringify(value).slice(0, 200)}`];
  const { code, message } = v.error!;
  const out: string[] = [];
  if (typeof code !== 'string' || !/^[a-z][a-z_]*$/.test(code)) out.push(`error code ${JSON.stringify(code)} is not a snake_case string`);
  if (typeof message !== 'string' || message.length < 10) out.push(`error message ${JSON.stringify(message)} says too little`);
  if (expect.codes && !expect.codes.includes(code as string)) out.push(`error code ${String(code)}, expected ${expect.codes.join(' or ')} (${String(message).slice(0, 160)})`);
  return out;
}

/** A prediction: a digit, 10 probabilities summing to 1 whose largest is that digit, the model that answered. */
function predictionShape(value: unknown): string[] {
  const v = value as { digit?: unknown; probabilities?: unknown; model?: { name?: unknown; version?: unknown } };
  const p = v.probabilities;
  if (!Array.isArray(p) || p.length !== 10 || !p.every((x) => typeof x === 'number' && Number.isFinite(x) && x >= 0 && x <= 1)) {
    return [`probabilities are not 10 numbers in [0, 1]: ${JSON.stringify(p)?.slice(0, 120)}`];
  }
  const out: string[] = [];
  const sum = p.reduce((a: number, b: number) => a + b, 0);
  if (Math.abs(sum - 1) > 1e-3) out.push(`probabilities sum to ${sum}`);
  const best = p.indexOf(Math.max(...p));
  if (v.digit !== best) out.push(`digit ${String(v.digit)} is not the most probable class ${best}`);
  if (typeof v.model?.name !== 'string' || typeof v.model?.version !== 'string') out.push('the answer does not name the model and version');
  const input = (value as { input?: unknown }).input;
  if (input !== undefined && (!Array.isArray(input) || input.length !== PIXELS)) out.push('the input it echoes is not 784 pixels');
  return out;
}

/**
 * `{ "accepted": n, "delivery": id }`, with `"duplicate": true` when the same signed request had been
 * accepted before; and the id, count and duplicate flag of a delivery known to be valid.
 */
function acceptedShape(value: unknown, expect: Expectation): string[] {
  const v = value as { accepted?: unknown; delivery?: unknown; duplicate?: unknown };
  const keys = Object.keys(value as object).sort().join(',');
  if (typeof v.accepted !== 'number' || !Number.isInteger(v.accepted) || v.accepted < 1 || typeof v.delivery !== 'string' || (keys !== 'accepted,delivery' && keys !== 'accepted,delivery,duplicate') || (v.duplicate !== undefined && v.duplicate !== true)) {
    return [`a 202 that is not { accepted, delivery, duplicate? }: ${JSON.stringify(value).slice(0, 200)}`];
  }
  const a = expect.accepts;
  if (a && (v.accepted !== a.examples || v.delivery !== a.delivery || (v.duplicate === true) !== (a.duplicate === true))) {
    return [`accepted ${v.accepted} as ${v.delivery}${v.duplicate ? ' (a duplicate)' : ''}, sent ${a.examples} as ${a.delivery}${a.duplicate ? ', a duplicate' : ''}`];
  }
  return [];
}
