/**
 * `npm run bench [-- <section>...] [--repeats N] [--quick] [--list]`: runs the named benchmark
 * sections (all of them by default) and prints their tables. Timings on a shared machine are
 * noisy: each section measures its peers in the same run and quotes medians and ratios.
 */
import { Command } from 'commander';
import { SECTIONS } from './bench/sections.ts';

const program = new Command()
  .name('npm run bench --')
  .description('Benchmarks of the core against its peers, measured in one run.')
  .argument('[sections...]', `sections to run (default: all): ${SECTIONS.map((s) => s.name).join(', ')}`)
  .option('--repeats <n>', 'timed repeats per contender (the median is quoted)', '5')
  .option('--quick', 'short runs, to check that everything works (numbers not for quoting)')
  .option('--list', 'list the sections and exit')
  .showHelpAfterError();
program.parse();
const opts = program.opts<{ repeats: string; quick?: boolean; list?: boolean }>();

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
for (const s of SECTIONS.filter((s) => names.includes(s.name))) {
  console.log(`\n== ${s.name}: ${s.description}`);
  await s.run({ repeats: opts.quick ? Math.min(repeats, 2) : repeats, quick: !!opts.quick, log: (l = '') => console.log(l) });
}
