/**
 * A first-fit allocator over a range of a WebAssembly memory (zero when handed over): tensors of the WASM backend live
 * there, so kernels work on them in place. Blocks are 64-byte aligned (a cache line, and whole
 * SIMD vectors). Freed blocks merge with free neighbours. When the range may grow (no fixed end),
 * running out grows the memory; growing detaches old views of a non-shared memory, so callers
 * must never keep a typed-array view across an allocation.
 *
 * @example
 * const heap = new Heap(memory, 1024);
 * const p = heap.alloc(4 * 800); // bytes
 * heap.free(p);
 */
export class Heap {
  /** Free blocks in address order: [start, size] pairs. */
  private readonly freeList: Array<[number, number]> = [];
  private readonly live = new Map<number, number>();
  private top: number;
  /** Everything at or above this offset has never been handed out, so it is still zero. */
  private clean: number;

  constructor(
    private readonly memory: WebAssembly.Memory,
    start: number,
    /** Exclusive end of the range; undefined: up to the end of memory, growing it as needed. */
    private readonly end?: number,
    /** Whether the range is known to be all zeros (fresh memory): then new blocks need no clearing. */
    zeroed = false,
  ) {
    this.top = align(start);
    this.clean = zeroed ? this.top : Infinity;
  }

  /** Bytes currently handed out. */
  get used(): number {
    let n = 0;
    for (const s of this.live.values()) n += s;
    return n;
  }

  /** A zero-filled block of at least `bytes` bytes; returns its byte offset. */
  alloc(bytes: number): number {
    const size = align(Math.max(bytes, 1));
    let ptr = -1;
    for (let i = 0; i < this.freeList.length; i++) {
      const [s, n] = this.freeList[i];
      if (n < size) continue;
      ptr = s;
      if (n === size) this.freeList.splice(i, 1);
      else this.freeList[i] = [s + size, n - size];
      break;
    }
    if (ptr < 0) ptr = this.extend(size);
    this.live.set(ptr, size);
    // Only reused bytes need clearing: untouched memory is zero, and a large block (a thread's
    // arena) then costs no page until it is used.
    if (ptr < this.clean) new Uint8Array(this.memory.buffer, ptr, Math.min(size, this.clean - ptr)).fill(0);
    this.clean = Math.max(this.clean, ptr + size);
    return ptr;
  }

  free(ptr: number): void {
    const size = this.live.get(ptr);
    if (size === undefined) throw new Error(`heap: ${ptr} is not a live block`);
    this.live.delete(ptr);
    const list = this.freeList;
    let i = 0;
    while (i < list.length && list[i][0] < ptr) i++;
    list.splice(i, 0, [ptr, size]);
    // Merge with the next block, then with the previous one.
    if (i + 1 < list.length && list[i][0] + list[i][1] === list[i + 1][0]) {
      list[i][1] += list[i + 1][1];
      list.splice(i + 1, 1);
    }
    if (i > 0 && list[i - 1][0] + list[i - 1][1] === list[i][0]) {
      list[i - 1][1] += list[i][1];
      list.splice(i, 1);
    }
    // A free block at the top goes back to the untouched range.
    const last = list[list.length - 1];
    if (last && last[0] + last[1] === this.top) {
      this.top = last[0];
      list.pop();
    }
  }

  private extend(size: number): number {
    const ptr = this.top;
    const needed = ptr + size;
    if (this.end !== undefined) {
      if (needed > this.end) {
        throw new Error(`heap: out of memory in its range (${size} bytes wanted, ${this.end - ptr} left of ${this.end} bytes): give the thread a larger arena`);
      }
    } else if (needed > this.memory.buffer.byteLength) {
      const pages = Math.ceil((needed - this.memory.buffer.byteLength) / 65536);
      // Grow by at least a quarter so that a model's many small tensors do not grow it one by one.
      const more = Math.max(pages, Math.ceil(this.memory.buffer.byteLength / 65536 / 4));
      try {
        this.memory.grow(more);
      } catch {
        try {
          this.memory.grow(pages);
        } catch (e) {
          throw new Error(`heap: cannot grow WebAssembly memory to ${needed} bytes (${(e as Error).message})`);
        }
      }
    }
    this.top = needed;
    return ptr;
  }
}

function align(n: number): number {
  return Math.ceil(n / 64) * 64; // not a bit mask: offsets may pass 2^31
}
