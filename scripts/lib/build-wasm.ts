import asc from 'assemblyscript/asc';
import { fileURLToPath } from 'node:url';
import { kernelFile, type KernelVariant } from '../../src/nn/backend/cpu/wasm-kernels.ts';

/** Where the committed builds live (a fresh clone runs them without a build step). */
export { KERNEL_DIR } from './wasm-kernels.ts';
const ENTRY = fileURLToPath(new URL('../../src/nn/backend/cpu/assembly/index.ts', import.meta.url));

/** The four builds of the one AssemblyScript source. */
export const BUILDS: Array<{ variant: KernelVariant; shared: boolean }> = [
  { variant: 'simd', shared: false },
  { variant: 'relaxed', shared: false },
  { variant: 'simd', shared: true },
  { variant: 'relaxed', shared: true },
];

/** asc's flags for one build. */
export function ascFlags(variant: KernelVariant, shared: boolean): string[] {
  return [
    '-O3', '--noAssert', '--runtime', 'stub', '--noColors',
    '--importMemory', '--initialMemory', '1',
    '--enable', 'simd',
    ...(variant === 'relaxed' ? ['--enable', 'relaxed-simd'] : []),
    // A shared memory must declare its maximum: the whole 32-bit address space.
    ...(shared ? ['--enable', 'threads', '--sharedMemory', '--maximumMemory', '65536'] : []),
  ];
}

/**
 * Compiles the kernels in memory with the AssemblyScript compiler (a devDependency, pinned):
 * file name -> wasm bytes. Deterministic, so a test can compare them with the committed files.
 */
export async function buildKernels(): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  for (const { variant, shared } of BUILDS) {
    const name = kernelFile(variant, shared);
    let binary: Uint8Array | null = null;
    let errors = '';
    const { error } = await asc.main([ENTRY, ...ascFlags(variant, shared), '-o', name], {
      writeFile: (file: string, contents: Uint8Array | string) => {
        if (file.endsWith('.wasm') && typeof contents !== 'string') binary = contents;
      },
      stderr: { write: (s: string | Uint8Array) => { errors += String(s); return true; } } as never,
      stdout: { write: () => true } as never,
    });
    if (error || !binary) throw new Error(`asc failed for ${name}: ${error?.message ?? 'no output'}\n${errors}`);
    out.set(name, binary);
  }
  return out;
}
