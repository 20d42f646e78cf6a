/** Metadata keys the exporter writes itself (export.ts) and the importer reads back (import.ts). */
export const META_SPEC = 'nutshell.spec';
export const META_WEIGHTS_SHA256 = 'nutshell.weights_sha256';
