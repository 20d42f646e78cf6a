/**
 * One contender of `npm run bench -- train-gpu`, run by the bench in a process of its own
 * (scripts/bench/alone.ts): `tsx backend-train.ts <cpu|gpu> <arch> <batch> <batches>` trains the
 * preset with SGD and momentum on the device (after a warm-up) and prints one JSON line:
 * {"examplesPerSecond", "device", "description"} or, when the GPU is not there, {"fallback"}.
 */
import { fileURLToPath } from 'node:url';
import { parseArch } from '../../../src/nn/presets.ts';
import { trainingThroughput } from '../../gpu/measure.ts';
import { createBackend, type DeviceName } from '../../lib/device.ts';

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [device, arch, batch, batches] = process.argv.slice(2);
  const choice = await createBackend(device as DeviceName);
  try {
    if (choice.device !== device) {
      process.stdout.write(`${JSON.stringify({ fallback: choice.fallback ?? `no ${device}`, description: choice.description })}\n`);
    } else {
      const r = await trainingThroughput(choice.backend, parseArch(arch), { batch: Number(batch), batches: Number(batches), repeats: 1, warmup: 2 });
      process.stdout.write(`${JSON.stringify({ examplesPerSecond: r.median, device: choice.device, description: choice.description })}\n`);
    }
  } finally {
    choice.close();
  }
}
