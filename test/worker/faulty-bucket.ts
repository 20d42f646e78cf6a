/**
 * The real R2 binding of the test worker, with faults injected into it: a put that throws before
 * writing, a torn put (half the bytes written, success reported), a put whose acknowledgement is
 * lost (written, then an error), a get that throws, a delete that throws before deleting. Everything else passes through, so the
 * registry, the routes and the trainer run for real on top of it.
 */
export type PutFault = 'throw' | 'torn' | 'lost-ack';
export type GetFault = 'throw';
export type DeleteFault = 'throw';

export interface FaultPlan {
  /** The fault for a put of `key` whose value reads as `text` (undefined: none). */
  put?: (key: string, text: string) => PutFault | undefined;
  get?: (key: string) => GetFault | undefined;
  delete?: (key: string) => DeleteFault | undefined;
}

export interface FaultyBucket {
  bucket: R2Bucket;
  /** The faults injected so far, in words. */
  injected: string[];
}

/**
 * @example
 * const { bucket, injected } = faultyBucket(env.MODELS, { put: (key) => (key.endsWith('manifest.json') ? 'throw' : undefined) });
 * await callWith(request, { MODELS: bucket });
 */
export function faultyBucket(real: R2Bucket, plan: FaultPlan): FaultyBucket {
  const injected: string[] = [];
  const put = async (key: string, value: unknown, options?: R2PutOptions) => {
    const bytes = asBytes(value);
    const fault = plan.put?.(key, new TextDecoder().decode(bytes ?? new Uint8Array(0)));
    if (fault) injected.push(`${fault} put ${key}`);
    if (fault === 'throw') throw new Error(`R2 put of ${key} failed (injected fault)`);
    if (fault === 'torn' && bytes) return real.put(key, bytes.slice(0, bytes.length >> 1), options);
    const stored = await real.put(key, value as ArrayBuffer, options);
    if (fault === 'lost-ack') throw new Error(`R2 put of ${key}: the connection was lost after the write (injected fault)`);
    return stored;
  };
  const get = async (key: string, options?: R2GetOptions) => {
    const fault = plan.get?.(key);
    if (fault) {
      injected.push(`${fault} get ${key}`);
      throw new Error(`R2 get of ${key} failed (injected fault)`);
    }
    return real.get(key, options);
  };
  const del = async (keys: string | string[]) => {
    for (const key of typeof keys === 'string' ? [keys] : keys) {
      const fault = plan.delete?.(key);
      if (fault) {
        injected.push(`${fault} delete ${key}`);
        throw new Error(`R2 delete of ${key} failed (injected fault)`);
      }
      await real.delete(key);
    }
  };
  const bucket = new Proxy(real, {
    get(target, prop) {
      if (prop === 'put') return put;
      if (prop === 'get') return get;
      if (prop === 'delete') return del;
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { bucket, injected };
}

function asBytes(value: unknown): Uint8Array | null {
  if (typeof value === 'string') return new TextEncoder().encode(value);
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  return null;
}
