/**
 * A worker thread running one data-parallel replica (see src/nn/parallel/data-parallel.ts).
 * Protocol with scripts/lib/replica-threads.ts: build, post the report, receive the peers,
 * acknowledge, then serve steps over the shared control block until stopped.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Replica, type ReplicaInit, type ReplicaReport } from '../../src/nn/parallel/data-parallel.ts';

const port = parentPort!;
const replica = await Replica.create(workerData as ReplicaInit);
port.once('message', ({ peers }: { peers: ReplicaReport[] }) => {
  replica.connect(peers);
  port.postMessage({ connected: true });
  replica.run();
  port.close();
});
port.postMessage({ report: replica.report() });
