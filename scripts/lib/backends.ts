import type { Backend } from '../../src/nn/backend/backend.ts';
import { CpuBackend } from '../../src/nn/backend/cpu/cpu-backend.ts';

/**
 * The compute backend a script asked for (`--device`, `--threads`), with a description for logs
 * and model cards.
 */
export async function chooseBackend(device: 'cpu' | 'gpu', threads?: number): Promise<{ backend: Backend; description: string }> {
  if (device === 'gpu') {
    console.warn('warning: this build has no WebGPU backend yet; training on the CPU');
  }
  if (threads && threads > 1) console.warn(`warning: --threads ${threads} needs the WASM backend; training on one thread`);
  return { backend: new CpuBackend('float32'), description: 'CPU (TypeScript reference kernels)' };
}
