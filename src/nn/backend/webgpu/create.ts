import { WebGpuBackend, type GpuInfo } from './webgpu-backend.ts';

/** No WebGPU adapter (or device) could be had: the caller falls back to another backend. */
export class WebGpuUnavailableError extends Error {
  override readonly name = 'WebGpuUnavailableError';
}

/**
 * A WebGPU backend from what the platform offers: a `GPU` (navigator.gpu in a browser or a
 * Worker, or what the `webgpu` package's `create()` returns in Node) or a ready `GPUDevice`.
 *
 * With a `GPU` it asks for a high-performance adapter, then for a compatibility-mode one (what
 * OpenGL ES offers, e.g. Mesa llvmpipe); the kernels fit compatibility-mode limits, so either
 * will do. The device is asked for the adapter's full storage-buffer size, so large batches fit.
 * Throws `WebGpuUnavailableError` when no adapter or device can be had.
 *
 * @example
 * const backend = await createWebGpuBackend(navigator.gpu);
 * const net = new Network(spec, { backend });
 */
export async function createWebGpuBackend(source: GPU | GPUDevice): Promise<WebGpuBackend> {
  if (!source) throw new WebGpuUnavailableError('no WebGPU here (navigator.gpu is undefined)');
  if (isDevice(source)) return new WebGpuBackend(source, describe(source.adapterInfo, 'core'));
  let adapter: GPUAdapter | null = null;
  let featureLevel = 'core';
  try {
    adapter = await source.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) {
      featureLevel = 'compatibility';
      adapter = await source.requestAdapter({ featureLevel: 'compatibility', powerPreference: 'high-performance' });
    }
  } catch (e) {
    throw new WebGpuUnavailableError(`requesting a WebGPU adapter failed: ${(e as Error).message}`);
  }
  if (!adapter) throw new WebGpuUnavailableError('no WebGPU adapter is available (no GPU, or no driver that WebGPU can use)');
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({
      requiredLimits: {
        maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
        maxBufferSize: adapter.limits.maxBufferSize,
      },
    });
  } catch (e) {
    throw new WebGpuUnavailableError(`the WebGPU adapter would not give a device: ${(e as Error).message}`);
  }
  return new WebGpuBackend(device, describe(adapter.info, featureLevel), [source, adapter]);
}

function isDevice(x: GPU | GPUDevice): x is GPUDevice {
  return typeof (x as GPUDevice).createBuffer === 'function';
}

function describe(info: GPUAdapterInfo | undefined, featureLevel: string): GpuInfo {
  // Vulkan puts the GPU's name in `description`; OpenGL ES puts the GL version there and the
  // renderer (llvmpipe, ...) in `device`: keep both when they differ.
  const names = [...new Set([info?.description, info?.device].filter((v): v is string => !!v))];
  const description = names.join(', ') || info?.vendor || 'unknown adapter';
  return { description, vendor: info?.vendor ?? '', architecture: info?.architecture ?? '', featureLevel };
}
