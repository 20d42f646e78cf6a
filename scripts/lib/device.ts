/**
 * `--device cpu|gpu` for the Node scripts: a compute backend for the core, with WebGPU through
 * Dawn (the npm package `webgpu`) when a GPU is there, and the CPU backend otherwise.
 *
 * Dawn's Vulkan backend drives a real GPU. Without one, Dawn's OpenGL ES backend on Mesa
 * llvmpipe (a CPU rasteriser; Debian: libegl1 libegl-mesa0 libgles2 libgl1-mesa-dri) still runs
 * the same WGSL in WebGPU compatibility mode: that is how CI tests the kernels. It is no GPU (it
 * shares the CPU with everything else), so `--device gpu` uses it only when asked (`allowSoftware`).
 */
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Backend } from '../../src/nn/backend/backend.ts';
import { CpuBackend } from '../../src/nn/backend/cpu/cpu-backend.ts';
import { relaxedSimdSupported } from '../../src/nn/backend/cpu/wasm-kernels.ts';
import { nodeWasmBackend } from './wasm-kernels.ts';
import { createWebGpuBackend, WebGpuUnavailableError, type WebGpuBackend } from '../../src/nn/backend/webgpu/index.ts';

export type DeviceName = 'cpu' | 'gpu';

/** Dawn backends, tried in order. */
export type DawnBackend = 'vulkan' | 'opengles' | 'opengl' | 'metal' | 'd3d12' | 'd3d11';

export interface DeviceOptions {
  /**
   * Accept a software adapter (llvmpipe, lavapipe, SwiftShader) as the GPU. Tests and CI do;
   * training does not by default (there is no GPU). Default: the environment variable
   * NUTSHELL_WEBGPU_SOFTWARE=1.
   */
  allowSoftware?: boolean;
  /** Default ['vulkan', 'opengles']: a real GPU first, then OpenGL ES (llvmpipe when there is no GPU). */
  backends?: readonly DawnBackend[];
  /** Path of a `dawn.node` to load instead of the `webgpu` package's (default: env DAWN_NODE). */
  dawnNode?: string;
}

export interface BackendChoice {
  backend: Backend;
  /** What the backend runs on: 'gpu' only when a WebGPU device was obtained. */
  device: DeviceName;
  /** One line for logs and model cards, e.g. "webgpu: NVIDIA H100 80GB HBM3 (vulkan)". */
  description: string;
  /** Set when 'gpu' was asked for and the CPU backend was given instead: why, in one sentence. */
  fallback?: string;
  /** Releases the GPU device (the CPU backend has nothing to release). */
  close(): void;
}

const SOFTWARE = /llvmpipe|lavapipe|softpipe|swiftshader|software/i;

/**
 * A backend for `--device`. Never throws for a missing GPU: it returns the CPU backend with
 * `fallback` saying why (print it).
 *
 * @example
 * const { backend, description, fallback } = await createBackend('gpu');
 * if (fallback) console.warn(fallback);
 * const net = new Network(spec, { backend, seed: 1 });
 */
export async function createBackend(device: DeviceName, opts: DeviceOptions = {}): Promise<BackendChoice> {
  if (device === 'cpu') return cpu();
  if (device !== 'gpu') throw new Error(`unknown device '${device}' (expected cpu or gpu)`);
  const allowSoftware = opts.allowSoftware ?? process.env.NUTSHELL_WEBGPU_SOFTWARE === '1';
  // Before Dawn loads: Mesa reads these when the OpenGL ES backend starts, and setting the
  // environment while Dawn's threads run is not safe.
  prepareEnvironment();
  let dawn: DawnModule;
  try {
    dawn = await loadDawn(opts.dawnNode ?? process.env.DAWN_NODE);
  } catch (e) {
    return cpu(`WebGPU is not available: Dawn (the 'webgpu' package) did not load (${firstLine(e)}); training on the CPU`);
  }
  const tried: string[] = [];
  for (const name of opts.backends ?? ['vulkan', 'opengles']) {
    let backend: WebGpuBackend;
    try {
      backend = await createWebGpuBackend(instance(dawn, name));
    } catch (e) {
      if (!(e instanceof WebGpuUnavailableError)) throw e;
      tried.push(`${name}: ${e.message}`);
      continue;
    }
    const description = `webgpu: ${backend.info.description} (${name}${backend.info.featureLevel === 'compatibility' ? ', compatibility mode' : ''})`;
    if (SOFTWARE.test(`${backend.info.description} ${backend.info.vendor} ${backend.info.architecture}`) && !allowSoftware) {
      backend.destroy();
      return cpu(
        `no GPU found: WebGPU's only adapter is ${backend.info.description}, a software rasteriser running on the CPU; ` +
          'training on the CPU backend (NUTSHELL_WEBGPU_SOFTWARE=1 uses the rasteriser anyway)',
      );
    }
    return { backend, device: 'gpu', description, close: () => backend.destroy() };
  }
  return cpu(
    `no GPU found: WebGPU has no adapter (${tried.join('; ')}); training on the CPU. ` +
      'A GPU needs its Vulkan driver and libvulkan1; without one, OpenGL ES through Mesa needs ' +
      'libegl1 libegl-mesa0 libgles2 libgl1-mesa-dri',
  );
}

/** The CPU's fast backend (WASM SIMD kernels), one thread; the TypeScript reference if they cannot load. */
async function cpu(fallback?: string): Promise<BackendChoice> {
  try {
    const variant = relaxedSimdSupported() ? 'relaxed' : 'simd';
    const backend = await nodeWasmBackend({ variant });
    return { backend, device: 'cpu', description: `cpu: WASM ${variant === 'relaxed' ? 'relaxed-simd' : 'simd128'}, 1 thread`, fallback, close() {} };
  } catch (e) {
    return { backend: new CpuBackend('float32'), device: 'cpu', description: `cpu: TypeScript, float32 (WASM kernels unavailable: ${firstLine(e)})`, fallback, close() {} };
  }
}

interface DawnModule {
  create(options: string[]): GPU;
}

/**
 * One Dawn instance per backend for the whole process. Dawn's Node binding tears an instance down
 * when its `GPU` object is garbage-collected, and doing so while another device is live crashed
 * llvmpipe's threads (seen in test runs): instances are kept, devices come and go.
 */
const instances = new Map<DawnModule, Map<DawnBackend, GPU>>();
function instance(dawn: DawnModule, backend: DawnBackend): GPU {
  let byBackend = instances.get(dawn);
  if (!byBackend) instances.set(dawn, (byBackend = new Map()));
  let gpu = byBackend.get(backend);
  if (!gpu) byBackend.set(backend, (gpu = dawn.create([`backend=${backend}`])));
  return gpu;
}

/** Dawn's Node binding: the `webgpu` package, or a given dawn.node (a GPU machine without npm). */
async function loadDawn(path?: string): Promise<DawnModule> {
  if (path) return createRequire(import.meta.url)(path) as DawnModule;
  return (await import('webgpu')) as DawnModule;
}

/**
 * Mesa's EGL needs no display when told so; Dawn's OpenGL ES backend goes through EGL. A private
 * XDG_RUNTIME_DIR silences Mesa's warning about a missing one.
 */
function prepareEnvironment(): void {
  process.env.EGL_PLATFORM ??= 'surfaceless';
  if (!process.env.XDG_RUNTIME_DIR) {
    const dir = join(tmpdir(), `nutshell-xdg-${process.getuid?.() ?? 'user'}`);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    process.env.XDG_RUNTIME_DIR = dir;
  }
}

function firstLine(e: unknown): string {
  return String((e as Error)?.message ?? e).split('\n')[0];
}
