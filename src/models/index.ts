/** A model file as the software sees it: its card, what its ONNX envelope says, and the checks it must pass to be served. */
export * from './card.ts';
export * from './check.ts';
export * from './describe.ts';
