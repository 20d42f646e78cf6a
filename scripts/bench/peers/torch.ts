import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { LineProcess } from './line-process.ts';

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

/**
 * PyTorch training the same network in its own process, on `threads` torch threads (info:
 * { version, threads }). torch's default here is 1 (it counts physical cores); 2 is measured too.
 */
export function startTorch(dataBase: string, n: number, lr: number, threads: number): Promise<LineProcess> {
  return LineProcess.start(PYTHON, [SCRIPT, 'train', dataBase, String(n), String(lr), String(threads)], torchEnv());
}
