/** Model versions in an object store (R2): immutable versions, a compare-and-swap manifest. */
export * from './manifest.ts';
export * from './object-store.ts';
export * from './registry.ts';
