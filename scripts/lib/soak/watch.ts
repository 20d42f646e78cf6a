import type { GateDecision } from '../../../src/registry/manifest.ts';
import { sendOnce } from './http-client.ts';

/**
 * Watches the admin's GET /v1/admin/models/:name while the soak runs (the public route counts a
 * decision's deliveries; the admin's names them): every gate decision (a round of the trainer,
 * accepted, rejected, or split into halves, with its deliveries) is kept as soon as it is listed.
 * The manifest moves older decisions to its archive, so reading it once at the end could miss some.
 *
 * @example
 * const watch = watchDecisions(url, adminToken, 'digits', 2000); ... await watch.stop(); watch.deliveryCounts();
 */
export function watchDecisions(url: string, adminToken: string, model: string, everyMs: number) {
  const decisions = new Map<string, GateDecision>();
  let stopped = false;
  let failures = 0;
  const poll = async () => {
    try {
      const res = await fetch(`${url}/v1/admin/models/${model}`, { headers: { authorization: `Bearer ${adminToken}` }, signal: AbortSignal.timeout(10_000) });
      const details = (await res.json()) as { decisions: GateDecision[] };
      for (const d of details.decisions ?? []) decisions.set(`${d.at}|${d.candidate}|${d.split ? 'split' : ''}|${d.deliveries.join(',')}`, d);
    } catch {
      failures++;
    }
  };
  const loop = (async () => {
    while (!stopped) {
      await poll();
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    /** One more poll now. */
    poll,
    async stop(): Promise<void> {
      stopped = true;
      await loop;
      await poll();
    },
    decisions: () => [...decisions.values()],
    /** How many final decisions name each delivery (exactly once each, when nothing is applied twice; a split decides nothing). */
    deliveryCounts(): Map<string, number> {
      const counts = new Map<string, number>();
      for (const d of decisions.values()) if (!d.split) for (const id of d.deliveries) counts.set(id, (counts.get(id) ?? 0) + 1);
      return counts;
    },
    failedPolls: () => failures,
  };
}

/**
 * Asks for a prediction every `everyMs` and keeps which version answered, to show versions change
 * under load (and only move forward).
 *
 * @example
 * const served = watchServedVersions(url, body, 1000); ... const versions = await served.stop();
 */
export function watchServedVersions(url: string, pixels: number[], everyMs: number) {
  const seen: Array<{ t: number; status: number; version: string | null }> = [];
  let stopped = false;
  const t0 = Date.now();
  const body = new Uint8Array(Buffer.from(JSON.stringify({ pixels })));
  const loop = (async () => {
    while (!stopped) {
      try {
        const res = await sendOnce(url, { method: 'POST', path: '/v1/predict', headers: [['content-type', 'application/json']], body: body }, 10_000);
        seen.push({ t: (Date.now() - t0) / 1000, status: res.status, version: (JSON.parse(res.body) as { model?: { version?: string } }).model?.version ?? null });
      } catch {
        seen.push({ t: (Date.now() - t0) / 1000, status: 0, version: null });
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return seen;
    },
  };
}
