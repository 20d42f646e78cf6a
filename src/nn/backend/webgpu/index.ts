/**
 * The WebGPU backend of the core: the compute contract in WGSL, for Vulkan, Metal, D3D12 and
 * (compatibility mode) OpenGL ES, in browsers, Workers with WebGPU, and Node through Dawn.
 */
export { createWebGpuBackend, WebGpuUnavailableError } from './create.ts';
export { GpuTensor, WebGpuBackend, type GpuInfo } from './webgpu-backend.ts';
