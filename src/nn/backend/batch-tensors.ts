import type { Backend, Tensor } from './backend.ts';

/**
 * Tensors of one example shape, one per batch size: allocated on the first batch of a size and
 * reused for every later one (backends allocate once, never per step). The last batch of an epoch
 * is often smaller, so a loop keeps two.
 *
 * @example
 * const targets = new BatchTensors(backend, [10]);
 * backend.write(targets.get(64), labels); // a [64, 10] tensor, the same one every call
 */
export class BatchTensors {
  private readonly bySize = new Map<number, Tensor>();

  constructor(
    private readonly backend: Backend,
    readonly exampleShape: readonly number[],
  ) {}

  /** The [n, ...exampleShape] tensor. */
  get(n: number): Tensor {
    let t = this.bySize.get(n);
    if (!t) {
      t = this.backend.tensor([n, ...this.exampleShape]);
      this.bySize.set(n, t);
    }
    return t;
  }

  /** Frees every tensor; a later `get` allocates again. */
  dispose(): void {
    for (const t of this.bySize.values()) this.backend.dispose(t);
    this.bySize.clear();
  }
}
