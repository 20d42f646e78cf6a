// Inverted dropout masks from the counter-based hash the reference and WebGPU backends share.

// @ts-ignore: decorator
@inline function pcgHash(x: u32): u32 {
  const state = x * 747796405 + 2891336453;
  const word = ((state >> ((state >> 28) + 4)) ^ state) * 277803737;
  return (word >> 22) ^ word;
}

/** mask[i] = keep if hash(key, i) >= threshold, else 0. */
export function dropoutMask(mask: usize, n: i32, threshold: u32, keep: f32, key: u32): void {
  const hk = pcgHash(key);
  for (let i: i32 = 0; i < n; i++) store<f32>(mask + (<usize>i << 2), pcgHash(<u32>i ^ hk) >= threshold ? keep : 0);
}
