import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');

/** A port nothing listens on now, on 127.0.0.1 (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

export interface WranglerDevOptions {
  /** How long to wait for /healthz (default 90 s). */
  timeoutMs?: number;
  /**
   * Secrets and vars, for every Worker: `--var NAME:VALUE` for the main Worker (wrangler passes
   * them to the first only) and the environment for the API Worker, which takes from it its
   * secrets and the vars its configuration names (functions/api/wrangler.toml). They override the
   * configurations and .dev.vars.
   */
  vars?: Record<string, string>;
  /** wrangler's `--log-level` (default `warn`; `log` shows the Worker's console output). */
  logLevel?: 'debug' | 'info' | 'log' | 'warn' | 'error' | 'none';
  /** Keep the state folder (local R2, Durable Objects) after stop(), for reading it back. */
  keepState?: boolean;
}

export interface DevServer {
  url: string;
  /** The folder `--persist-to` names: local R2, Durable Objects, queues (v3/...). */
  state: string;
  /** wrangler's own process; its process group holds the workerd processes it started. */
  pid: number;
  stop(): Promise<void>;
  /** What wrangler printed so far (the Worker's logs among it). */
  log(): string;
}

/** The Workers `wrangler dev` runs together: the main Worker first (it gets the port), then the API and onnxruntime Workers it binds. */
export const WRANGLER_CONFIGS = ['wrangler.toml', 'functions/api/wrangler.toml', 'functions/onnxruntime/wrangler.toml'];

/** Wrangler offline: no usage metrics, no fetch of Cloudflare's `Request.cf` sample. */
export const WRANGLER_OFFLINE_ENV = { WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' };

/**
 * Starts `wrangler dev` on free ports of 127.0.0.1, offline (no account, no metrics), with its local
 * state (R2, Durable Objects, Queues) in a fresh folder, and waits until /healthz answers.
 *
 * @example
 * const server = await startWranglerDev({ vars: { WEBHOOK_SECRET: 'whsec_...' } }); ... await server.stop();
 */
export async function startWranglerDev(opts: WranglerDevOptions = {}): Promise<DevServer> {
  const timeoutMs = opts.timeoutMs ?? 90_000;
  const [port, inspector] = [await freePort(), await freePort()];
  const state = mkdtempSync(join(tmpdir(), 'nutshell-dev-state-'));
  const vars = Object.entries(opts.vars ?? {}).flatMap(([k, v]) => ['--var', `${k}:${v}`]);
  const args = [
    'dev', ...WRANGLER_CONFIGS.flatMap((c) => ['-c', c]), '--ip', '127.0.0.1', '--port', String(port), '--inspector-port', String(inspector), '--persist-to', state,
    '--show-interactive-dev-session=false', '--log-level', opts.logLevel ?? 'warn', ...vars,
  ];
  const child: ChildProcess = spawn(join(ROOT, 'node_modules/.bin/wrangler'), args, {
    cwd: ROOT,
    env: { ...process.env, ...opts.vars, ...WRANGLER_OFFLINE_ENV, CI: 'true', NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group: stop() ends wrangler and the workerd it started
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  let exited = false;
  child.once('exit', () => (exited = true));

  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (!exited && child.pid) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
      await new Promise((done) => (exited ? done(null) : child.once('exit', done)));
    }
    if (!opts.keepState) rmSync(state, { recursive: true, force: true });
  };

  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited) break;
    try {
      if ((await fetch(`${url}/healthz`)).ok) return { url, state, pid: child.pid!, stop, log: () => output };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  await stop();
  rmSync(state, { recursive: true, force: true });
  throw new Error(`wrangler dev did not answer /healthz on ${url} within ${timeoutMs} ms${exited ? ' (it exited)' : ''}:\n${output}`);
}

/**
 * The workerd processes of a `wrangler dev` (its process group): `worker` runs the Worker and its
 * Durable Objects; `proxy` is wrangler's own entry point that forwards requests to it (it listens
 * on the port asked for; the Worker's workerd on a port of its choosing).
 */
export function workerdProcesses(server: Pick<DevServer, 'pid' | 'url'>): { worker?: number; proxy?: number } {
  const port = new URL(server.url).port;
  const out: { worker?: number; proxy?: number } = {};
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) !== server.pid) continue; // process group
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (!cmdline[0]?.endsWith('/workerd')) continue;
      if (cmdline.some((a) => a.endsWith(`127.0.0.1:${port}`))) out.proxy = Number(entry);
      else out.worker = Number(entry);
    } catch {
      // the process ended meanwhile
    }
  }
  return out;
}

/**
 * The URL of the Worker's own workerd entry socket inside a `wrangler dev`, behind wrangler's proxy:
 * requests sent there reach the Worker without the proxy's extra HTTP hop (whose pooled connection
 * to the Worker breaks when the Worker refuses a chunked upload early: 503 "Your worker restarted
 * mid-request" for that request and the next ones, cloudflare/workers-sdk#14641; wrangler 4.86).
 * Found among the sockets the process listens on (Linux /proc), as the one that answers /healthz.
 *
 * @example
 * const direct = await workerEntryUrl(server); // http://127.0.0.1:40233
 */
export async function workerEntryUrl(server: Pick<DevServer, 'pid' | 'url'>): Promise<string> {
  const { worker } = workerdProcesses(server);
  if (!worker) throw new Error("the Worker's workerd is not running");
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${worker}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${worker}/fd/${fd}`));
      if (m) inodes.add(m[1]);
    } catch {
      // closed meanwhile
    }
  }
  const ports: number[] = [];
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    // local_address is hex ip:port; st 0A is LISTEN; the inode is field 9.
    if (f.length > 9 && f[3] === '0A' && inodes.has(f[9]) && f[1].startsWith('0100007F:')) ports.push(parseInt(f[1].split(':')[1], 16));
  }
  for (const port of ports) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(5000) });
      if (res.ok && ((await res.json()) as { status?: string }).status === 'ok') return `http://127.0.0.1:${port}`;
    } catch {
      // not the entry
    }
  }
  throw new Error(`none of the Worker's sockets (${ports.join(', ') || 'none found'}) answers /healthz`);
}
