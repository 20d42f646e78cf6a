// The WASM kernels of the fast float32 CPU backend, compiled from AssemblyScript by
// `npm run build:wasm`. Pointers are byte offsets into the (imported) linear memory.
export { gemm, gemmTransALd, packAreaBytes, setPackArea } from './gemm';
export { addBias, biasGrad, addInto, mul, activation, activationGrad, softmax, softmaxGrad, expVec } from './elementwise';
export { softmaxCrossEntropy, sigmoidCrossEntropy, squaredError, countCorrect } from './losses';
export { sgdUpdate, momentumUpdate, adamUpdate } from './optimizers';
export { im2col, col2im, swapOuter } from './conv';
export { maxPool, maxPoolGrad } from './pool';
export { batchNormInfer } from './batchnorm';
export { dropoutMask } from './dropout';

/** The first byte past the kernels' static data: the host allocates tensors from there on. */
export function heapBase(): usize {
  return __heap_base;
}
