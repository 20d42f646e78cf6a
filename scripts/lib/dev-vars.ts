import { existsSync, readFileSync } from 'node:fs';

/**
 * A variable for the scripts that talk to the Worker: from the environment, else from `.dev.vars`
 * (what `npm start` gives the local Worker), else undefined.
 *
 * @example
 * const token = devVar('ADMIN_TOKEN');
 */
export function devVar(name: string, file = '.dev.vars'): string | undefined {
  const fromEnv = process.env[name];
  if (fromEnv) return fromEnv;
  if (!existsSync(file)) return undefined;
  for (const line of readFileSync(file, 'utf8').split(/\r?\n/)) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (m && m[1] === name) return m[2].replace(/^(["'])(.*)\1$/, '$2');
  }
  return undefined;
}

/** The R2 bucket name bound as MODELS in wrangler.toml (what `wrangler dev` persists locally under that name). */
export function modelsBucketName(file = 'wrangler.toml'): string {
  const toml = readFileSync(file, 'utf8');
  const m = /\[\[r2_buckets\]\][^[]*?binding\s*=\s*"MODELS"[^[]*?bucket_name\s*=\s*"([^"]+)"/s.exec(toml);
  if (!m) throw new Error(`${file} binds no R2 bucket as MODELS`);
  return m[1];
}
