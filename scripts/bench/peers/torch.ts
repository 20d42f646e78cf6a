import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** Debian's python, the one that sees python3-torch (a pyenv python earlier on PATH does not). */
export const PYTHON = '/usr/bin/python3';
export const INSTALL_HINT = 'apt-get install -y python3-torch libopenblas0-pthread';
const SCRIPT = fileURLToPath(new URL('./torch_mlp.py', import.meta.url));

/**
 * The environment of a fair baseline (shared/notes/peer-baselines.md): these machines set
 * OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE, which force slower kernels, and torch's and OpenBLAS's
 * thread pools fight unless OpenBLAS keeps to one thread.
 */
export function torchEnv(blasThreads = 1): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, OPENBLAS_NUM_THREADS: String(blasThreads) };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  return env;
}

export function torchAvailable(): boolean {
  return spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore', env: torchEnv() }).status === 0;
}

/** OpenBLAS's single-precision matrix-product rate through torch.mm, on `threads` threads. */
export function torchSgemm(threads: number): { gflops: number; threads: number } {
  const r = spawnSync(PYTHON, [SCRIPT, 'sgemm', String(threads)], { env: torchEnv(threads), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`torch sgemm failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

/** A PyTorch training process that runs batches on request, so that its repeats interleave with ours. */
export class TorchTrainer {
  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    private readonly lines: Interface,
    private readonly dir: string,
    readonly info: { version: string; threads: number },
  ) {}

  static async start(x: Float32Array, labels: Uint8Array, lr: number): Promise<TorchTrainer> {
    const dir = mkdtempSync(join(tmpdir(), 'bench-torch-'));
    const base = join(dir, 'mnist');
    writeFileSync(`${base}.x`, x);
    writeFileSync(`${base}.y`, labels);
    const child = spawn(PYTHON, [SCRIPT, 'train', base, String(labels.length), String(lr)], { env: torchEnv() });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const lines = createInterface({ input: child.stdout });
    const t = new TorchTrainer(child, lines, dir, { version: '', threads: 0 });
    const ready = await t.next().catch((e) => {
      throw new Error(`${(e as Error).message}\n${stderr}`);
    });
    Object.assign(t.info, { version: ready.version, threads: ready.threads });
    return t;
  }

  private next(): Promise<Record<string, any>> {
    return new Promise((resolve, reject) => {
      const onLine = (l: string) => {
        this.child.off('exit', onExit);
        resolve(JSON.parse(l));
      };
      const onExit = (code: number) => {
        this.lines.off('line', onLine);
        reject(new Error(`the PyTorch process exited (${code})`));
      };
      this.lines.once('line', onLine);
      this.child.once('exit', onExit);
    });
  }

  /** Seconds that `batches` more training batches took, timed inside Python. */
  async run(batches: number): Promise<number> {
    const reply = this.next();
    this.child.stdin.write(`${JSON.stringify({ batches })}\n`);
    return (await reply).seconds;
  }

  async close(): Promise<void> {
    this.child.stdin.end();
    await new Promise((r) => this.child.once('exit', r));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
