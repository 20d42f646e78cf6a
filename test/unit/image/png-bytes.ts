// PNG chunk builders, shared with the fuzzers (scripts/lib/png-chunks.ts).
export * from '../../../scripts/lib/png-chunks.ts';
