/**
 * A seeded generator of requests to POST /v1/predict and POST /v1/webhooks/training: valid ones,
 * and generated and mutated bad ones (predict-cases.ts, webhook-cases.ts). Each case says what
 * the Worker must answer; the invariants every answer keeps are oracle.ts's. Case `index` of a
 * seed is the same request whoever builds it (timestamps and signatures aside, made when the case
 * is built), so a failure is reproduced from (seed, index). Web-standard APIs only:
 * test/worker/fuzz.test.ts runs it inside workerd, scripts/soak.ts in Node.
 */
import { rng } from '../digit-synth.ts';
import type { BuiltCase, FuzzRequest } from './case.ts';
import { FuzzMaterials } from './materials.ts';
import { caseSeed, weighted } from './mutate.ts';
import { PREDICT_CASES, type CaseBuilder } from './predict-cases.ts';
import { WEBHOOK_CASES } from './webhook-cases.ts';

export * from './case.ts';

/** Families of cases and how often each is drawn (in percent, about). */
export const FAMILY_WEIGHTS = {
  'predict/png': 5,
  'predict/jpeg': 3,
  'predict/json': 4,
  'predict/multipart': 3,
  'predict/image-mutated': 14,
  'predict/png-bomb': 2,
  'predict/jpeg-bomb': 2,
  'predict/zlib-bomb': 1,
  'predict/jpeg-scans': 1,
  'predict/iccp-bomb': 1,
  'predict/ztxt-bomb': 1,
  'predict/16bit-max': 0.4,
  'predict/jpeg-memory': 0.8,
  'predict/huge': 0.6,
  'predict/content-type': 4,
  'predict/multipart-malformed': 4,
  'predict/json-types': 6,
  'predict/json-tokens': 2,
  'predict/json-mutated': 5,
  'predict/json-unicode': 3,
  'predict/query': 2,
  'predict/method-path': 1.5,
  'predict/headers': 2,
  'webhook/valid': 3,
  'webhook/unsigned': 2,
  'webhook/wrong-secret': 2,
  'webhook/timestamp': 3,
  'webhook/modified': 3,
  'webhook/signature-garbage': 2,
  'webhook/replay': 1.5,
  'webhook/body-invalid': 9,
  'webhook/images': 3,
  'webhook/image-bomb': 1,
  'webhook/id': 2,
  'webhook/content-type': 1.5,
  'webhook/huge': 0.5,
  'webhook/mutated': 5,
  'webhook/binary-body': 1.5,
  'webhook/method': 0.5,
} as const satisfies Record<keyof typeof PREDICT_CASES | keyof typeof WEBHOOK_CASES, number>;

export type Family = keyof typeof FAMILY_WEIGHTS;

const BUILDERS: Record<Family, CaseBuilder> = { ...PREDICT_CASES, ...WEBHOOK_CASES };

export interface FuzzCase extends BuiltCase {
  seed: number;
  index: number;
  family: Family;
}

export interface FuzzOptions {
  seed: number;
  /** The Worker's WEBHOOK_SECRET (`whsec_...`): signed cases reach the body parser. */
  secret: string;
  /** Clock for signatures (ms since the epoch). */
  now?: () => number;
  /** Only these families (default: all, with FAMILY_WEIGHTS). */
  families?: readonly Family[];
  /** Prefix of valid delivery ids (tells one run's deliveries from another's). */
  deliveryPrefix?: string;
}

/**
 * The generator. Cheap to construct (it draws a small pool of digit images once); `caseAt(i)`
 * builds case i on demand.
 *
 * @example
 * const fuzzer = new RequestFuzzer({ seed: 1, secret: env.WEBHOOK_SECRET });
 * for (let i = 0; i < 1000; i++) send(fuzzer.caseAt(i));
 */
export class RequestFuzzer {
  readonly seed: number;
  readonly materials: FuzzMaterials;
  private readonly weights: Partial<Record<Family, number>>;

  constructor(opts: FuzzOptions) {
    this.seed = opts.seed >>> 0;
    this.materials = new FuzzMaterials({ ...opts, seed: this.seed });
    this.weights = Object.fromEntries(Object.entries(FAMILY_WEIGHTS).filter(([f]) => !opts.families || opts.families.includes(f as Family)));
    if (!Object.keys(this.weights).length) throw new Error('no fuzz family selected');
  }

  /** Case `index`: the same family, detail and bodies for the same seed and index. */
  caseAt(index: number): FuzzCase {
    const random = rng(caseSeed(this.seed, index));
    const family = weighted(random, this.weights as Record<Family, number>);
    return { seed: this.seed, index, family, ...BUILDERS[family](this.materials, random, index) };
  }

  /** A webhook request signed with the run's secret (see FuzzMaterials.signed). */
  signed(body: Uint8Array<ArrayBuffer>, o: { id: string; at?: number; secret?: string; contentType?: string }): FuzzRequest {
    return this.materials.signed(body, o);
  }
}
