/**
 * `npm run bench [-- <section>...] [--repeats N] [--quick] [--json FILE] [--list]`: runs the named
 * benchmark sections (all of them by default) and prints their tables. Contenders are measured
 * one at a time, each alone, repeated; medians and spreads are quoted with the load average
 * around them. `--json` also writes every section's figures and printed lines, with the date.
 */
import { Command } from 'commander';
import { mkdirSync, writeFileSync } from 'node:fs';
import { arch, cpus, platform, release } from 'node:os';
import { dirname } from 'node:path';
import { SECTIONS } from './bench/sections.ts';
import { loadAverage } from './bench/section.ts';

const program = new Command()
  .name('npm run bench --')
  .description('Benchmarks of the core against its peers: every contender alone, repeated, medians and spreads.')
  .argument('[sections...]', `sections to run (default: all): ${SECTIONS.map((s) => s.name).join(', ')}`)
  .option('--repeats <n>', 'timed repeats per contender (the median and the spread are quoted)', '5')
  .option('--quick', 'short runs, to check that everything works (numbers not for quoting)')
  .option('--json <file>', 'also write the figures, the printed lines, the date and the machine to this file')
  .option('--list', 'list the sections and exit')
  .showHelpAfterError();
program.parse();
const opts = program.opts<{ repeats: string; quick?: boolean; json?: string; list?: boolean }>();

if (opts.list) {
  for (const s of SECTIONS) console.log(`${s.name.padEnd(16)} ${s.description}`);
  process.exit(0);
}
const names = program.args.length ? program.args : SECTIONS.map((s) => s.name);
const unknown = names.filter((n) => !SECTIONS.some((s) => s.name === n));
if (unknown.length) {
  console.error(`unknown bench section${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')} (have: ${SECTIONS.map((s) => s.name).join(', ')})`);
  process.exit(2);
}
const repeats = Number(opts.repeats);
if (!Number.isInteger(repeats) || repeats < 1) {
  console.error(`--repeats must be a positive integer, got ${opts.repeats}`);
  process.exit(2);
}
const report = {
  date: new Date().toISOString(),
  command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
  quick: !!opts.quick,
  machine: { cpu: cpus()[0]?.model ?? '?', cores: cpus().length, os: `${platform()} ${release()} ${arch()}`, node: process.version },
  loadAverageBefore: loadAverage(),
  sections: [] as Array<{ name: string; description: string; started: string; seconds: number; figures: unknown; lines: string[] }>,
  loadAverageAfter: [] as number[],
};
for (const s of SECTIONS.filter((s) => names.includes(s.name))) {
  const lines: string[] = [];
  const log = (l = '') => {
    console.log(l);
    lines.push(l);
  };
  const started = new Date();
  log(`\n== ${s.name}: ${s.description}`);
  const figures = await s.run({ repeats: opts.quick ? Math.min(repeats, 2) : repeats, quick: !!opts.quick, log });
  report.sections.push({ name: s.name, description: s.description, started: started.toISOString(), seconds: (Date.now() - started.getTime()) / 1000, figures: figures ?? null, lines });
}
report.loadAverageAfter = loadAverage();
if (opts.json) {
  mkdirSync(dirname(opts.json), { recursive: true });
  writeFileSync(opts.json, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nfigures written to ${opts.json}`);
}
