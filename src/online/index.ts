/** Online learning: fine-tuning on labelled digits with replay, the statistical gate, the validation share. */
export * from './budget.ts';
export * from './example.ts';
export * from './fine-tune.ts';
export * from './gate.ts';
export * from './head.ts';
export * from './mcnemar.ts';
export * from './replay-buffer.ts';
export * from './validation-share.ts';
