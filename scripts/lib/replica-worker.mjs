// Entry of a replica thread: Node does not carry the main thread's TypeScript loader into
// worker threads, so the worker registers tsx itself before loading the TypeScript body.
import { register } from 'tsx/esm/api';

register();
await import('./replica-worker.ts');
