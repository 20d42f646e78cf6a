/** Online learning: fine-tuning on labelled digits with replay, and the holdout gate. */
export * from './budget.ts';
export * from './example.ts';
export * from './fine-tune.ts';
export * from './gate.ts';
export * from './head.ts';
export * from './replay-buffer.ts';
