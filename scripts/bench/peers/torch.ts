import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Debian's python, the one that sees python3-torch (a pyenv python earlier on PATH does not). */
export const PYTHON = '/usr/bin/python3';
export const INSTALL_HINT = 'apt-get install -y python3-torch libopenblas0-pthread';
export const SCRIPT = fileURLToPath(new URL('./torch_mlp.py', import.meta.url));
/** Debian's threaded OpenBLAS; without it torch's products run on the reference BLAS (about 6.5 GFLOP/s). */
const OPENBLAS = ['/usr/lib/x86_64-linux-gnu/openblas-pthread', '/usr/lib/aarch64-linux-gnu/openblas-pthread'];

/**
 * The environment of a fair baseline (shared/notes/peer-baselines.md): these machines set
 * OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE, which force slower kernels, and torch's and OpenBLAS's
 * thread pools fight unless OpenBLAS keeps to one thread (torch's own threads do the parallel work).
 */
export function torchEnv(blasThreads = 1): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, OPENBLAS_NUM_THREADS: String(blasThreads) };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  return env;
}

/** Why the PyTorch baseline cannot run here, or null when it can. */
export function torchMissing(): string | null {
  if (spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore', env: torchEnv() }).status !== 0) {
    return `${PYTHON} has no torch (Debian's python3-torch)`;
  }
  if (!OPENBLAS.some((d) => existsSync(d))) return "libopenblas0-pthread is missing: torch would run on the reference BLAS";
  return null;
}

/** The command of one PyTorch training measurement on `threads` torch threads (run it with runAlone). */
export function torchTrainCommand(dataBase: string, examples: number, lr: number, threads: number): [string, string[], NodeJS.ProcessEnv] {
  return [PYTHON, [SCRIPT, 'train', dataBase, String(examples), String(lr), String(threads)], torchEnv(1)];
}

/** The command of OpenBLAS's single-precision matrix-product rate through torch.mm on `threads` threads. */
export function torchSgemmCommand(threads: number, quick: boolean): [string, string[], NodeJS.ProcessEnv] {
  return [PYTHON, [SCRIPT, 'sgemm', String(threads), quick ? '1' : '0'], torchEnv(threads)];
}
