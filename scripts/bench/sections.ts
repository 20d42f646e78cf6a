import type { BenchSection } from './section.ts';
import { predictHttp } from './predict-http.ts';
import { predictProfile } from './predict-profile.ts';
import { trainCpu } from './train-cpu.ts';
import { trainGpu } from './train-gpu.ts';
import { ingestWorkerd } from './ingest-workerd.ts';
import { trainWorkerd } from './train-workerd.ts';
import { onlineLearn } from './online-learn.ts';
import { onlineWorkerd } from './online-workerd.ts';
import { inferBatch } from './infer-batch.ts';

/** Every section of `npm run bench`, in the order they run. Add a section with one line here. */
export const SECTIONS: BenchSection[] = [
  trainCpu,
  trainGpu,
  trainWorkerd,
  ingestWorkerd,
  predictHttp,
  predictProfile,
  onlineLearn,
  onlineWorkerd,
  inferBatch,
];
