import { createHash } from 'node:crypto';
import os from 'node:os';
import type { NetworkSpec } from '../../src/nn/network.ts';
import type { Confusion } from '../../src/nn/metrics.ts';
import type { ModelCard } from '../../src/models/card.ts';

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function machine(backend: string): ModelCard['device'] {
  const cpus = os.cpus();
  return { backend, cpu: cpus[0]?.model ?? 'unknown', cores: cpus.length, node: process.version, platform: `${process.platform}-${process.arch}` };
}

/** Strips connectivity masks (they live in the model file) so the card stays readable. */
export function cardSpec(spec: NetworkSpec): NetworkSpec {
  return { input: spec.input, layers: spec.layers.map((l) => (l.type === 'dense' && l.mask ? { type: 'dense', units: l.units } : l)) };
}

export function confusionMetrics(c: Confusion): Pick<ModelCard['metrics'], 'perClassAccuracy' | 'confusionMatrix'> {
  return { perClassAccuracy: c.perClassAccuracy.map((a) => round(a, 6)), confusionMatrix: c.matrix };
}

export function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
