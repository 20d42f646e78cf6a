import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { importOnnx } from '../../../src/onnx/import.ts';

const run = promisify(execFile);
const train = (args: string[]) => run('npx', ['tsx', 'scripts/train.ts', ...args], { cwd: process.cwd(), env: { ...process.env, NUTSHELL_DEBUG: '' } });

describe('npm run train', () => {
  it('trains, evaluates on the 10,000 test images, and writes the model, its card and its curves', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nutshell-train-'));
    const out = join(dir, 'tiny.onnx');
    const { stdout } = await train(['--arch', '784-32-10', '--activation', 'relu', '--optimizer', 'adam', '--lr', '0.003', '--limit', '2000', '--epochs', '2', '--validation', '0.1', '--patience', '3', '--no-outside-mnist', '--out', out]);
    expect(stdout).toMatch(/test accuracy \d+\.\d\d%/);
    const card = JSON.parse(readFileSync(join(dir, 'tiny.json'), 'utf8'));
    expect(card.metrics.testAccuracy).toBeGreaterThan(0.8);
    expect(card.metrics.examplesPerSecond).toBeGreaterThan(0);
    expect(card.metrics.confusionMatrix.flat().reduce((a: number, b: number) => a + b, 0)).toBe(10000);
    expect(card.metrics.perClassAccuracy).toHaveLength(10);
    expect(card.data.trainExamples).toBe(1800);
    expect(card.data.validationExamples).toBe(200);
    expect(card.hyperparameters).toMatchObject({ optimizer: 'adam', batch: 64, epochs: 2, seed: 1 });
    expect(existsSync(join(dir, 'tiny.curves.svg'))).toBe(true);
    expect(card.command).toBe(`npm run train -- --arch 784-32-10 --activation relu --optimizer adam --lr 0.003 --limit 2000 --epochs 2 --validation 0.1 --patience 3 --no-outside-mnist --out ${out}`);
    expect(card.metrics.mflopsPerPrediction).toBe(0.051); // (2 x 784 x 32 + 32 + 32 + 2 x 32 x 10 + 10 + 30) / 1e6, to 3 decimals
    expect(card.metrics.validationAccuracy).toBeGreaterThan(0.8);
    expect(card.metrics.outsideMnist).toBeNull();
    const { network, metadata } = await importOnnx(new Uint8Array(readFileSync(out)));
    expect(network.inputShape).toEqual([784]);
    expect(Number(metadata['nutshell.test_accuracy'])).toBeCloseTo(card.metrics.testAccuracy, 6);
  });

  it('mixes synthetic handwritten digits into the training set, augmented by composed steps and then a milder final augmentation', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nutshell-train-'));
    const out = join(dir, 'mixed.onnx');
    const { stdout } = await train(['--arch', '784-16-10', '--activation', 'relu', '--optimizer', 'adam', '--lr', '0.003', '--limit', '300', '--synthetic', '200', '--augment', 'affine+width+jpeg', '--epochs', '2', '--final-epochs', '1', '--final-augment', 'affine', '--no-outside-mnist', '--out', out]);
    expect(stdout).toMatch(/200 synthetic handwritten digits made/);
    const card = JSON.parse(readFileSync(join(dir, 'mixed.json'), 'utf8'));
    expect(card.data).toMatchObject({ trainExamples: 500, syntheticExamples: 200, augment: 'affine+width+jpeg' });
    expect(card.hyperparameters).toMatchObject({ augment: 'affine+width+jpeg', finalEpochs: 1, finalAugment: 'affine' });
  });

  it('learns from a teacher (distillation) and averages the last epochs\' weights, and says so in the card', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nutshell-train-'));
    const out = join(dir, 'student.onnx');
    const { stdout } = await train(['--arch', '784-16-10', '--activation', 'relu', '--optimizer', 'adam', '--lr', '0.003', '--limit', '2000', '--epochs', '3', '--average-from', '2', '--teacher', 'models/digits-mlp.onnx', '--teacher-temperature', '2', '--teacher-weight', '0.4', '--no-outside-mnist', '--out', out]);
    expect(stdout).toMatch(/teacher: digits-mlp\.onnx \(temperature 2, weight 0\.4\)/);
    const card = JSON.parse(readFileSync(join(dir, 'student.json'), 'utf8'));
    expect(card.hyperparameters).toMatchObject({ averageFrom: 2, teacher: 'digits-mlp.onnx', teacherTemperature: 2, teacherWeight: 0.4 });
    expect(card.metrics.averagedEpochs).toBe(2);
    expect(card.metrics.testAccuracy).toBeGreaterThan(0.8);
  });

  for (const [args, message] of [
    [['--augment', 'affine+warp'], /unknown augmentation 'warp'/],
    [['--synthetic', '-3'], /--synthetic must be zero or a positive integer/],
    [['--lr', 'fast'], /--lr must be a positive number/],
    [['--optimizer', 'rmsprop'], /Allowed choices are sgd, momentum, adam/],
    [['--arch', 'huge'], /unknown architecture 'huge'/],
    [['--arch', '784-10-3'], /784 inputs and 10 outputs/],
    [['--patience', '2'], /needs a validation split/],
    [['--average-from', '3'], /--average-from 3 is after the last epoch/],
    [['--final-epochs', '2'], /--final-epochs 2 is more than --epochs 1/],
    [['--final-augment', 'smudge'], /unknown augmentation 'smudge'/],
    [['--final-augment', 'affine'], /--final-augment needs --final-epochs/],
    [['--teacher', 'nowhere.onnx'], /cannot read the teacher 'nowhere.onnx'/],
    [['--teacher-weight', '1'], /--teacher-weight must be in \[0, 1\)/],
    [['--out', 'model.bin'], /must name an .onnx file/],
  ] as const) {
    it(`refuses ${args.join(' ')} with a clear message and a non-zero exit, no stack trace`, async () => {
      const err = await train([...args, '--limit', '10', '--epochs', '1']).then(() => null, (e) => e as { code: number; stderr: string });
      expect(err?.code).not.toBe(0);
      expect(err?.stderr).toMatch(message);
      expect(err?.stderr).not.toMatch(/\n\s+at /);
    });
  }
});
