import type { TestProject } from 'vitest/node';
import { startWranglerDev } from './server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    baseUrl: string;
  }
}

/** One `wrangler dev` for every browser test file: started before, stopped after. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startWranglerDev();
  project.provide('baseUrl', server.url);
  return () => server.stop();
}
