/** `--device`: the GPU when WebGPU has an adapter, and otherwise the CPU with a clear reason. */
import { describe, expect, it } from 'vitest';
import { createBackend } from '../../scripts/lib/device.ts';
import { CpuBackend } from '../../src/nn/backend/cpu/cpu-backend.ts';

describe('createBackend', () => {
  it('cpu is the CPU backend, with nothing to explain', async () => {
    const c = await createBackend('cpu');
    expect(c.backend).toBeInstanceOf(CpuBackend);
    expect(c.device).toBe('cpu');
    expect(c.fallback).toBeUndefined();
  });

  it('no adapter: the CPU backend and a message that says why and what to install', async () => {
    // A Dawn backend this operating system cannot have: Dawn really finds no adapter.
    const c = await createBackend('gpu', { backends: [process.platform === 'win32' ? 'metal' : 'd3d12'] });
    expect(c.backend).toBeInstanceOf(CpuBackend);
    expect(c.device).toBe('cpu');
    expect(c.fallback).toMatch(/no GPU found: WebGPU has no adapter .*training on the CPU/);
    expect(c.fallback).toMatch(/libvulkan1/);
    expect(c.fallback).toMatch(/libegl1 libegl-mesa0 libgles2 libgl1-mesa-dri/);
  });

  it('Dawn missing: the CPU backend and the reason', async () => {
    const c = await createBackend('gpu', { dawnNode: '/nonexistent/dawn.node' });
    expect(c.device).toBe('cpu');
    expect(c.fallback).toMatch(/Dawn .* did not load .*training on the CPU/);
  });

  it('a software rasteriser is used only when allowed', async () => {
    const soft = await createBackend('gpu', { allowSoftware: true });
    expect(soft.device).toBe('gpu');
    expect(soft.description).toMatch(/^webgpu: /);
    soft.close();
    if (/llvmpipe|lavapipe|swiftshader/i.test(soft.description)) {
      const c = await createBackend('gpu', { allowSoftware: false });
      expect(c.device).toBe('cpu');
      expect(c.fallback).toMatch(/software rasteriser .*training on the CPU/);
    }
  });

  it('an unknown device name is an error that lists the choices', async () => {
    await expect(createBackend('tpu' as 'gpu')).rejects.toThrow(/expected cpu or gpu/);
  });
});
