/**
 * The subset of the R2 bucket API the registry needs. A Worker's R2 binding satisfies it, and so
 * do Miniflare's local R2 (for `npm run publish` to the bucket `npm start` uses) and the
 * S3-compatible client in scripts/ (for `--remote`).
 */
export interface StoredObject {
  readonly key: string;
  readonly etag: string;
  readonly size: number;
}

export interface StoredBody extends StoredObject {
  arrayBuffer(): Promise<ArrayBuffer>;
  text(): Promise<string>;
}

/** R2's conditional put: `etagMatches` to compare-and-swap, `etagDoesNotMatch: '*'` to create only. */
export interface PutOptions {
  onlyIf?: { etagMatches?: string; etagDoesNotMatch?: string };
  httpMetadata?: { contentType?: string };
  customMetadata?: Record<string, string>;
}

export interface ObjectStore {
  get(key: string): Promise<StoredBody | null>;
  head(key: string): Promise<StoredObject | null>;
  /** Resolves to null when `onlyIf` does not hold (nothing is written). */
  put(key: string, value: ArrayBuffer | ArrayBufferView | string, options?: PutOptions): Promise<StoredObject | null>;
}
