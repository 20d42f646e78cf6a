/**
 * The backprop core: layers, losses, optimizers, the network and its training loop.
 * Web-standard APIs only: it runs unchanged in Node, a browser and a Cloudflare Worker.
 */
export * from './backend/backend.ts';
export { BatchTensors } from './backend/batch-tensors.ts';
export { CpuBackend, CpuTensor } from './backend/cpu/cpu-backend.ts';
export { createCpuBackend, createWasmBackend, type CpuBackendOptions } from './backend/cpu/create.ts';
export { WasmBackend, WasmTensor } from './backend/cpu/wasm-backend.ts';
export { kernelFile, relaxedSimdSupported, type KernelVariant } from './backend/cpu/wasm-kernels.ts';
export { ReplicaCoordinator, Replica, type ReplicaInit, type ReplicaReport } from './parallel/data-parallel.ts';
export * from './layers/index.ts';
export * from './loss.ts';
export * from './metrics.ts';
export * from './network.ts';
export * from './neuron.ts';
export * from './pictures.ts';
export * from './optimizers/optimizer.ts';
export * from './optimizers/schedule.ts';
export * from './presets.ts';
export * from './rng.ts';
export * from './train.ts';
export * from './average.ts';
export * from './distill.ts';
export * from './backend/webgpu/index.ts';
