/**
 * What every script does with errors: a clear one-line message on stderr and exit code 1, no
 * stack trace (set NUTSHELL_DEBUG=1 to see one).
 */
export class CliError extends Error {
  override name = 'CliError';
}

export function fail(message: string): never {
  throw new CliError(message);
}

export function runMain(main: () => Promise<void>): void {
  main().catch((e: unknown) => {
    const err = e as Error;
    if (process.env.NUTSHELL_DEBUG) console.error(err);
    else console.error(`error: ${err?.message ?? String(e)}`);
    process.exit(1);
  });
}
