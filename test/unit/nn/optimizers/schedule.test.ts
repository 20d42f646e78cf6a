import { describe, expect, it } from 'vitest';
import { LearningRate, parseSchedule } from '../../../../src/nn/optimizers/schedule.ts';

describe('learning-rate schedules', () => {
  it('constant: the base rate every epoch', () => {
    const lr = new LearningRate(0.1);
    expect([0, 1, 50].map((e) => lr.at(e))).toEqual([0.1, 0.1, 0.1]);
  });

  it('step: the rate times factor every `every` epochs', () => {
    const lr = new LearningRate(0.8, { kind: 'step', every: 2, factor: 0.5 });
    expect([0, 1, 2, 3, 4, 7].map((e) => lr.at(e))).toEqual([0.8, 0.8, 0.4, 0.4, 0.2, 0.1]);
  });

  it('exponential: base x gamma^epoch', () => {
    const lr = new LearningRate(1, { kind: 'exponential', gamma: 0.9 });
    expect(lr.at(0)).toBe(1);
    expect(lr.at(2)).toBeCloseTo(0.81, 15);
  });

  it('cosine: from the base to the floor over `epochs`, then the floor', () => {
    const lr = new LearningRate(1, { kind: 'cosine', epochs: 10 });
    expect(lr.at(0)).toBe(1);
    expect(lr.at(5)).toBeCloseTo(0.5, 15);
    expect(lr.at(10)).toBeCloseTo(0, 15);
    expect(lr.at(20)).toBeCloseTo(0, 15);
    const floored = new LearningRate(2, { kind: 'cosine', epochs: 4, floor: 0.1 });
    expect(floored.at(4)).toBeCloseTo(0.2, 15);
    expect(floored.at(2)).toBeCloseTo(2 * (0.1 + 0.9 * 0.5), 15);
  });

  it('plateau: cuts by `factor` when the loss has not improved for more than `patience` epochs, never below the floor', () => {
    const lr = new LearningRate(1, { kind: 'plateau', patience: 1, factor: 0.5, floor: 0.2 });
    const rates: number[] = [];
    for (const loss of [1, 0.9, 0.9, 0.9, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8]) {
      lr.observe(loss);
      rates.push(lr.at(0));
    }
    // 0.9 twice without improving: cut to 0.5; 0.8 improves; then cut every 2 flat epochs: 0.25, then the floor.
    expect(rates).toEqual([1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.2, 0.2, 0.2]);
  });

  it('plateau: an improvement smaller than 1e-6 is no improvement', () => {
    const lr = new LearningRate(1, { kind: 'plateau', patience: 0, factor: 0.1 });
    lr.observe(1);
    lr.observe(1 - 1e-7);
    expect(lr.at(0)).toBeCloseTo(0.1, 15);
  });

  it('other schedules ignore the losses they are fed', () => {
    const lr = new LearningRate(0.3, { kind: 'step', every: 1, factor: 0.5 });
    for (let i = 0; i < 5; i++) lr.observe(1);
    expect(lr.at(1)).toBe(0.15);
  });

  it('refuses a rate that is not a positive number', () => {
    for (const bad of [0, -0.1, NaN, Infinity]) expect(() => new LearningRate(bad)).toThrow(/positive number/);
  });
});

describe('parseSchedule (the --schedule option)', () => {
  it('reads every form', () => {
    expect(parseSchedule('constant', 10)).toEqual({ kind: 'constant' });
    expect(parseSchedule('step:3:0.5', 10)).toEqual({ kind: 'step', every: 3, factor: 0.5 });
    expect(parseSchedule('exp:0.95', 10)).toEqual({ kind: 'exponential', gamma: 0.95 });
    expect(parseSchedule('cosine', 12)).toEqual({ kind: 'cosine', epochs: 12, floor: 0 });
    expect(parseSchedule('cosine:0.05', 12)).toEqual({ kind: 'cosine', epochs: 12, floor: 0.05 });
    expect(parseSchedule('plateau:2:0.1', 10)).toEqual({ kind: 'plateau', patience: 2, factor: 0.1 });
  });

  it('refuses what is not one of them', () => {
    for (const bad of ['linear', 'step:0:0.5', 'step:2', 'exp', 'exp:x', 'plateau:2', '']) {
      expect(() => parseSchedule(bad, 10), bad).toThrow(/bad schedule/);
    }
  });
});
