import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// Imports flow one way: functions/ and scripts/ use src/, never the reverse (portable.test.ts holds
// src/ to that). Scripts use the domain code from src/ as the Worker does, and reach into
// functions/ only for what they speak to the Worker with: its limits and its wire formats.
const SCRIPTS_MAY_IMPORT_FROM_FUNCTIONS = new Set([
  'functions/limits.ts', // the limits a client stays within
  'functions/queue/message.ts', // the queue message's id rules, for the fuzzer's deliveries
  'functions/trainer/state.ts', // the round records the soak reads back
  'functions/trainer/fixed-set-files.ts', // where the build puts the trainer's fixed sets for the Worker
]);

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

const root = resolve(import.meta.dirname, '../..');

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/from\s+['"](\.[^'"]+)['"]/g)].map((m) => relative(root, resolve(root, file, '..', m[1])));
}

describe('scripts/ imports', () => {
  const files = sources(join(root, 'scripts')).map((f) => relative(root, f));
  it('finds the scripts', () => expect(files.length).toBeGreaterThan(50));

  it('take domain code from src/, and from functions/ only its limits and wire formats', () => {
    const offenders = files.flatMap((f) =>
      importsOf(join(root, f)).filter((i) => i.startsWith('functions/') && !SCRIPTS_MAY_IMPORT_FROM_FUNCTIONS.has(i)).map((i) => `${f} -> ${i}`),
    );
    expect(offenders).toEqual([]);
  });
});
