import { spawn } from 'node:child_process';
import { loadAverage } from './section.ts';

/** One measurement taken by a process of its own, with the machine's load around it. */
export interface AloneRun<T> {
  result: T;
  /** 1-minute load average just before the process started and just after it exited. */
  loadBefore: number;
  loadAfter: number;
}

/**
 * Runs one contender in a process of its own and waits until it has exited, so that no other
 * contender's process or thread is alive while it is measured (the bench runs them one after
 * another). The child does its own warm-up and timing and prints its result as its last line,
 * one JSON object.
 */
export async function runAlone<T>(command: string, args: string[], env: NodeJS.ProcessEnv = process.env, timeoutMs = 600_000): Promise<AloneRun<T>> {
  const loadBefore = loadAverage()[0];
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (c, signal) => resolve(signal ? null : c));
  }).finally(() => clearTimeout(timer));
  const loadAfter = loadAverage()[0];
  const last = stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop();
  if (code !== 0 || !last) {
    const tail = stderr.trim().split('\n').slice(-8).join('\n');
    throw new Error(`${[command, ...args].join(' ')} ${code === null ? 'was killed' : `exited with ${code}`}${tail ? `:\n${tail}` : ''}`);
  }
  return { result: JSON.parse(last) as T, loadBefore, loadAfter };
}

/** The command line that runs a TypeScript file of this project the way this process runs (tsx). */
export function tsxCommand(file: string, args: string[]): [string, string[]] {
  return [process.execPath, [...process.execArgv, file, ...args]];
}
