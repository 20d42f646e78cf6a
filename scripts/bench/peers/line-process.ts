import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';

/**
 * A peer framework training in its own process, driven line by line: it prints one JSON line
 * when ready, then answers each `{"batches": k}` on stdin with `{"seconds": s}` after training k
 * more batches. Separate processes let every contender's repeats interleave in one bench run
 * (so a busy spell of the shared machine hits all of them alike) without sharing a runtime.
 */
export class LineProcess {
  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    private readonly lines: Interface,
    private readonly cleanup: () => void,
    readonly info: Record<string, any>,
  ) {}

  /** Writes the data where the child can read it: `<base>.x` (float32 n x 784) and `<base>.y` (uint8 labels). */
  static writeData(x: Float32Array, labels: Uint8Array): { base: string; remove(): void } {
    const dir = mkdtempSync(join(tmpdir(), 'bench-data-'));
    const base = join(dir, 'mnist');
    writeFileSync(`${base}.x`, x);
    writeFileSync(`${base}.y`, labels);
    return { base, remove: () => rmSync(dir, { recursive: true, force: true }) };
  }

  static async start(command: string, args: string[], env: NodeJS.ProcessEnv, cleanup: () => void = () => {}): Promise<LineProcess> {
    const child = spawn(command, args, { env });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const lines = createInterface({ input: child.stdout });
    const p = new LineProcess(child, lines, cleanup, {});
    try {
      Object.assign(p.info, await p.next());
    } catch (e) {
      cleanup();
      throw new Error(`${command} ${args.join(' ')}: ${(e as Error).message}\n${stderr}`);
    }
    return p;
  }

  private next(): Promise<Record<string, any>> {
    return new Promise((resolve, reject) => {
      const onLine = (l: string) => {
        if (!l.startsWith('{')) return; // stray output (banners) is not part of the protocol
        this.lines.off('line', onLine);
        this.child.off('exit', onExit);
        resolve(JSON.parse(l));
      };
      const onExit = (code: number) => {
        this.lines.off('line', onLine);
        reject(new Error(`exited (${code})`));
      };
      this.lines.on('line', onLine);
      this.child.once('exit', onExit);
    });
  }

  /** Seconds that `batches` more training batches took, timed inside the child. */
  async run(batches: number): Promise<number> {
    const reply = this.next();
    this.child.stdin.write(`${JSON.stringify({ batches })}\n`);
    return (await reply).seconds;
  }

  async close(): Promise<void> {
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.stdin.end();
    await exited;
    this.cleanup();
  }
}
