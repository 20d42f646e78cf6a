import { startWranglerDev as start, type DevServer } from '../../scripts/lib/wrangler-dev.ts';

// One implementation of `wrangler dev` for tests and scripts (scripts/lib/wrangler-dev.ts; the soak uses it too).
export { freePort, type DevServer } from '../../scripts/lib/wrangler-dev.ts';

/**
 * Starts `wrangler dev` on free ports of 127.0.0.1, offline, with fresh local state, once /healthz answers.
 * A correction makes a round within 2 s (FEEDBACK_BATCH_SECONDS; wrangler.toml batches for 600 s), so
 * that the page is seen serving the version one correction made.
 *
 * @example
 * const server = await startWranglerDev(); ... await server.stop();
 */
export const startWranglerDev = (timeoutMs = 90_000): Promise<DevServer> => start({ timeoutMs, vars: { FEEDBACK_BATCH_SECONDS: '2' } });
