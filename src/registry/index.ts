/** Model versions in an object store (R2): immutable versions, a compare-and-swap manifest, retention, the list of models. */
export * from './manifest.ts';
export * from './model-list.ts';
export * from './object-store.ts';
export * from './registry.ts';
export * from './retention.ts';
