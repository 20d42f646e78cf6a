/**
 * The machinery under the WebGPU backend: GPU memory, compiled kernels, and a recorder that
 * batches every dispatch of a training step into one compute pass and one queue submission.
 *
 * - Kernels are WGSL with a generated header: binding 0 is a uniform struct of scalars (sizes,
 *   learning rate, ...), bindings 1..k are storage buffers of f32. Pipelines and bind groups are
 *   built once and cached; a bind group is keyed by the buffers it holds, so a training loop that
 *   reuses its tensors reuses its bind groups.
 * - The scalars of every recorded dispatch go into one host-side uniform ring at aligned offsets
 *   (a dynamic offset selects a dispatch's slice); the whole ring goes up in one `writeBuffer`
 *   just before the submission. No op forces a submit of its own.
 * - `write` must not overtake recorded work that still reads the old contents (queue writes run
 *   before any later submission), so it flushes first: about one submission per batch.
 * - Everything stays within WebGPU compatibility-mode defaults (128 invocations and 16 KiB of
 *   workgroup memory per workgroup, 8 storage buffers per stage, 65535 workgroups per dimension),
 *   so the same kernels run on Dawn's OpenGL ES backend (Mesa llvmpipe) and on Vulkan.
 */

// Numeric flags, so that the library needs no WebGPU globals (Node's `webgpu` package keeps them
// off globalThis unless asked).
const BUFFER_MAP_READ = 0x0001;
const BUFFER_COPY_SRC = 0x0004;
const BUFFER_COPY_DST = 0x0008;
const BUFFER_UNIFORM = 0x0040;
const BUFFER_STORAGE = 0x0080;
const MAP_MODE_READ = 0x0001;
const SHADER_STAGE_COMPUTE = 0x4;

/** Threads per workgroup of every kernel: the compatibility-mode maximum. */
export const WORKGROUP = 128;
/** Workgroups per dispatch dimension (the WebGPU default limit). */
export const MAX_GROUPS = 65535;

export type ScalarType = 'u32' | 'i32' | 'f32';

/** A kernel as data: its scalar parameters, its buffers and the WGSL that uses them by name. */
export interface KernelSpec {
  /** Unique among kernels (it keys the pipeline cache). */
  name: string;
  /** Uniform scalars in order, reachable in WGSL as `p.<name>`. */
  params: ReadonlyArray<readonly [string, ScalarType]>;
  /** Storage buffers of f32 in binding order, read-only or written. */
  buffers: ReadonlyArray<readonly [string, 'read' | 'write']>;
  /** WGSL: helper functions, workgroup variables and `@compute fn main`. */
  code: string;
}

/** One GPU buffer; tensors and their views share it. */
export interface Storage {
  readonly id: number;
  readonly buffer: GPUBuffer;
  readonly bytes: number;
  destroyed: boolean;
}

interface Kernel {
  spec: KernelSpec;
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
  uniformBytes: number;
}

/** The WGSL header for a kernel: its uniform struct and buffer declarations. */
export function kernelHeader(spec: KernelSpec): string {
  const fields = spec.params.length ? spec.params.map(([n, t]) => `  ${n}: ${t},`).join('\n') : '  unused: u32,';
  const buffers = spec.buffers
    .map(([n, access], i) => `@group(0) @binding(${i + 1}) var<storage, ${access === 'read' ? 'read' : 'read_write'}> ${n}: array<f32>;`)
    .join('\n');
  return `struct Params {\n${fields}\n}\n@group(0) @binding(0) var<uniform> p: Params;\n${buffers}\n`;
}

/**
 * Records dispatches into one compute pass and submits them when data must cross to or from the
 * host. One per device.
 */
export class GpuRuntime {
  readonly device: GPUDevice;
  private nextId = 1;
  private kernels = new Map<string, Kernel>();
  private bindGroups = new Map<string, GPUBindGroup>();
  /** Bind-group keys that mention a storage id, to forget them when it is destroyed. */
  private keysByStorage = new Map<number, string[]>();
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private readonly ring: ArrayBuffer;
  private readonly ringU32: Uint32Array;
  private readonly ringI32: Int32Array;
  private readonly ringF32: Float32Array;
  private ringUsed = 0;
  private readonly ringStride: number;
  private readonly uniforms: GPUBuffer;
  private readonly uniformStorage: Storage;
  private staging: GPUBuffer[] = [];
  private doomed: Storage[] = [];
  private scratch: Storage[] = [];
  private error: string | null = null;
  /** Dispatches and submissions so far (for profiling and tests). */
  readonly counters = { dispatches: 0, submits: 0 };

  constructor(device: GPUDevice, ringBytes = 1 << 20) {
    this.device = device;
    this.ringStride = Math.max(256, device.limits.minUniformBufferOffsetAlignment);
    this.ring = new ArrayBuffer(ringBytes);
    this.ringU32 = new Uint32Array(this.ring);
    this.ringI32 = new Int32Array(this.ring);
    this.ringF32 = new Float32Array(this.ring);
    this.uniforms = device.createBuffer({ size: ringBytes, usage: BUFFER_UNIFORM | BUFFER_COPY_DST });
    this.uniformStorage = { id: 0, buffer: this.uniforms, bytes: ringBytes, destroyed: false };
    device.addEventListener('uncapturederror', (e) => {
      this.error ??= (e as GPUUncapturedErrorEvent).error.message;
    });
    void device.lost.then((info) => {
      if (info.reason !== 'destroyed') this.error ??= `the GPU device was lost: ${info.message}`;
    });
  }

  // --- memory ------------------------------------------------------------------------------------
  /** A zero-filled storage buffer for `floats` 32-bit values. */
  allocate(floats: number): Storage {
    const bytes = Math.max(16, Math.ceil((floats * 4) / 16) * 16);
    const limit = this.device.limits.maxStorageBufferBindingSize;
    if (bytes > limit) {
      throw new Error(`a tensor of ${floats} values needs ${bytes} bytes, over this device's storage-buffer limit of ${limit} bytes: use a smaller batch`);
    }
    const buffer = this.device.createBuffer({ size: bytes, usage: BUFFER_STORAGE | BUFFER_COPY_SRC | BUFFER_COPY_DST });
    return { id: this.nextId++, buffer, bytes, destroyed: false };
  }

  /** Host values into a buffer at a byte offset, after the work recorded so far. */
  upload(s: Storage, byteOffset: number, data: Float32Array): void {
    this.flush();
    this.device.queue.writeBuffer(s.buffer, byteOffset, data.buffer, data.byteOffset, data.byteLength);
  }

  /** Frees a buffer once the recorded work that may use it has been submitted. */
  release(s: Storage): void {
    if (s.destroyed) return;
    s.destroyed = true;
    for (const key of this.keysByStorage.get(s.id) ?? []) this.bindGroups.delete(key);
    this.keysByStorage.delete(s.id);
    if (this.pass) this.doomed.push(s);
    else s.buffer.destroy();
  }

  /**
   * A reusable work buffer of at least `floats` values; slot-indexed so several can be live:
   * 0 split-K partial products, 1 per-channel partial sums, 8 and up inputs set aside by `dealias`.
   */
  work(slot: number, floats: number): Storage {
    const s = this.scratch[slot];
    if (s && s.bytes >= floats * 4) return s;
    if (s) this.release(s);
    // Grow geometrically so that a few sizes do not reallocate on every call.
    const grown = this.allocate(Math.max(floats, s ? Math.ceil((s.bytes / 4) * 1.5) : 0));
    this.scratch[slot] = grown;
    return grown;
  }

  // --- kernels -----------------------------------------------------------------------------------
  private kernel(spec: KernelSpec): Kernel {
    let k = this.kernels.get(spec.name);
    if (k) return k;
    const code = kernelHeader(spec) + spec.code;
    const module = this.device.createShaderModule({ code, label: spec.name });
    const entries: GPUBindGroupLayoutEntry[] = [
      { binding: 0, visibility: SHADER_STAGE_COMPUTE, buffer: { type: 'uniform', hasDynamicOffset: true } },
      ...spec.buffers.map(([, access], i): GPUBindGroupLayoutEntry => ({
        binding: i + 1,
        visibility: SHADER_STAGE_COMPUTE,
        buffer: { type: access === 'read' ? 'read-only-storage' : 'storage' },
      })),
    ];
    const layout = this.device.createBindGroupLayout({ entries, label: spec.name });
    const pipeline = this.device.createComputePipeline({
      layout: this.device.createPipelineLayout({ bindGroupLayouts: [layout] }),
      compute: { module, entryPoint: 'main' },
      label: spec.name,
    });
    const uniformBytes = Math.max(16, Math.ceil((spec.params.length * 4) / 16) * 16);
    k = { spec, pipeline, layout, uniformBytes };
    this.kernels.set(spec.name, k);
    return k;
  }

  /**
   * Records one dispatch. `params` follow `spec.params`; `buffers` follow `spec.buffers`.
   * A buffer read by the kernel that is also written by it (WebGPU forbids that aliasing within a
   * dispatch) is first copied to a scratch buffer, so callers may pass `out` = an input.
   */
  dispatch(spec: KernelSpec, params: readonly number[], buffers: readonly Storage[], x: number, y = 1, z = 1): void {
    if (params.length !== spec.params.length || buffers.length !== spec.buffers.length) {
      throw new Error(`kernel ${spec.name} takes ${spec.params.length} parameters and ${spec.buffers.length} buffers`);
    }
    if (x === 0 || y === 0 || z === 0) return;
    if (x > MAX_GROUPS || y > MAX_GROUPS || z > MAX_GROUPS) throw new Error(`kernel ${spec.name}: ${x}x${y}x${z} workgroups exceed ${MAX_GROUPS} per dimension`);
    for (const b of buffers) if (b.destroyed) throw new Error(`kernel ${spec.name} was given a disposed tensor`);
    const bound = this.dealias(spec, buffers);
    const k = this.kernel(spec);
    if (this.ringUsed + this.ringStride > this.ring.byteLength) this.flush();
    const offset = this.ringUsed;
    const base = offset / 4;
    spec.params.forEach(([, type], i) => {
      if (type === 'f32') this.ringF32[base + i] = params[i];
      else if (type === 'i32') this.ringI32[base + i] = params[i];
      else this.ringU32[base + i] = params[i];
    });
    this.ringUsed += this.ringStride;
    const pass = this.beginPass();
    pass.setPipeline(k.pipeline);
    pass.setBindGroup(0, this.bindGroup(k, bound), [offset]);
    pass.dispatchWorkgroups(x, y, z);
    this.counters.dispatches++;
  }

  /** Copies of the read-only buffers that are also bound for writing. */
  private dealias(spec: KernelSpec, buffers: readonly Storage[]): readonly Storage[] {
    let out: Storage[] | null = null;
    let slot = 0;
    for (let i = 0; i < buffers.length; i++) {
      if (spec.buffers[i][1] !== 'read') continue;
      const written = buffers.some((b, j) => j !== i && b.id === buffers[i].id && spec.buffers[j][1] === 'write');
      if (!written) continue;
      out ??= [...buffers];
      const copy = this.work(8 + slot++, buffers[i].bytes / 4);
      this.dispatch(COPY, [buffers[i].bytes / 4], [buffers[i], copy], ...grid(buffers[i].bytes / 4));
      out[i] = copy;
    }
    for (let i = 0; i < buffers.length; i++) {
      for (let j = i + 1; j < buffers.length; j++) {
        if (buffers[i].id === buffers[j].id && spec.buffers[i][1] === 'write' && spec.buffers[j][1] === 'write') {
          throw new Error(`kernel ${spec.name}: outputs ${spec.buffers[i][0]} and ${spec.buffers[j][0]} are the same tensor`);
        }
      }
    }
    return out ?? buffers;
  }

  private bindGroup(k: Kernel, buffers: readonly Storage[]): GPUBindGroup {
    const key = `${k.spec.name}|${buffers.map((b) => b.id).join(',')}`;
    let bg = this.bindGroups.get(key);
    if (bg) return bg;
    bg = this.device.createBindGroup({
      layout: k.layout,
      entries: [
        { binding: 0, resource: { buffer: this.uniformStorage.buffer, offset: 0, size: k.uniformBytes } },
        ...buffers.map((b, i) => ({ binding: i + 1, resource: { buffer: b.buffer } })),
      ],
    });
    this.bindGroups.set(key, bg);
    for (const b of new Set(buffers)) {
      let keys = this.keysByStorage.get(b.id);
      if (!keys) this.keysByStorage.set(b.id, (keys = []));
      keys.push(key);
    }
    return bg;
  }

  private beginPass(): GPUComputePassEncoder {
    this.encoder ??= this.device.createCommandEncoder();
    this.pass ??= this.encoder.beginComputePass();
    return this.pass;
  }

  // --- submission and read-back ------------------------------------------------------------------
  /** Submits everything recorded so far (uniforms first, then the commands). */
  flush(): void {
    if (!this.encoder) return;
    this.pass?.end();
    this.pass = null;
    if (this.ringUsed) this.device.queue.writeBuffer(this.uniforms, 0, this.ring, 0, this.ringUsed);
    this.device.queue.submit([this.encoder.finish()]);
    this.counters.submits++;
    this.encoder = null;
    this.ringUsed = 0;
    for (const s of this.doomed) s.buffer.destroy();
    this.doomed = [];
  }

  /** Waits until the GPU has finished everything recorded so far. */
  async sync(): Promise<void> {
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
    this.throwIfFailed();
  }

  /** The first `floats` values of a buffer, after all recorded work. */
  async read(s: Storage, floats: number): Promise<Float32Array> {
    const bytes = Math.max(4, floats * 4);
    const staging = this.takeStaging(bytes);
    this.pass?.end();
    this.pass = null;
    this.encoder ??= this.device.createCommandEncoder();
    this.encoder.copyBufferToBuffer(s.buffer, 0, staging, 0, Math.ceil(bytes / 4) * 4);
    this.flush();
    try {
      await staging.mapAsync(MAP_MODE_READ, 0, bytes);
    } catch (e) {
      this.throwIfFailed();
      throw e;
    }
    const out = new Float32Array(staging.getMappedRange(0, bytes).slice(0, floats * 4));
    staging.unmap();
    this.staging.push(staging);
    this.throwIfFailed();
    return out;
  }

  private takeStaging(bytes: number): GPUBuffer {
    const i = this.staging.findIndex((b) => b.size >= bytes);
    if (i >= 0) return this.staging.splice(i, 1)[0];
    const size = Math.max(256, 2 ** Math.ceil(Math.log2(bytes)));
    return this.device.createBuffer({ size, usage: BUFFER_MAP_READ | BUFFER_COPY_DST });
  }

  /** WebGPU reports validation errors asynchronously; surface the first one at the next read. */
  throwIfFailed(): void {
    if (this.error) {
      const e = this.error;
      this.error = null;
      throw new Error(`WebGPU error: ${e}`);
    }
  }

  /** Releases every GPU object this runtime made (the device stays with its owner). */
  destroy(): void {
    this.flush();
    for (const s of this.scratch) if (s) this.release(s);
    for (const b of this.staging) b.destroy();
    this.uniforms.destroy();
    this.bindGroups.clear();
    this.kernels.clear();
  }
}

/** Workgroup counts for one thread per element, folded into y past the per-dimension limit. */
export function grid(n: number): [number, number] {
  const groups = Math.ceil(n / WORKGROUP);
  if (groups <= MAX_GROUPS) return [groups, 1];
  const y = Math.ceil(groups / MAX_GROUPS);
  return [Math.ceil(groups / y), y];
}

/**
 * WGSL prologue of a one-thread-per-element kernel: `i` is the element, threads past `n` leave.
 * Pairs with `grid`.
 */
export function elementwise(body: string, n = 'p.n'): string {
  return `@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * ${WORKGROUP}u;
  if (i >= ${n}) { return; }
${body}
}
`;
}

/** dst[i] = src[i]: also how an aliased input is set aside. */
export const COPY: KernelSpec = {
  name: 'copy',
  params: [['n', 'u32']],
  buffers: [['src', 'read'], ['dst', 'write']],
  code: elementwise('  dst[i] = src[i];'),
};
