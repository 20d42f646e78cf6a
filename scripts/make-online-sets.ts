#!/usr/bin/env -S npx tsx
/**
 * Writes the two small sets the Worker's online learning bundles, as gzipped IDX files in models/:
 * - holdout: 100 digits of each class from the MNIST TEST set (the gate's fixed yardstick;
 *   the trainer never learns from it);
 * - replay seed: 100 digits of each class from the MNIST TRAINING set (the first contents of the
 *   replay buffer, so that online rounds rehearse what the offline model learned).
 */
import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import type { LabelledImages } from '../src/data/idx.ts';
import { runMain } from './lib/cli.ts';
import { loadMnist } from './lib/mnist.ts';

const PER_CLASS = 100;

function balanced(d: LabelledImages, perClass: number): number[] {
  const taken = new Array(10).fill(0);
  const picked: number[] = [];
  for (let i = 0; i < d.n && picked.length < perClass * 10; i++) {
    if (taken[d.labels[i]] < perClass) {
      taken[d.labels[i]]++;
      picked.push(i);
    }
  }
  return picked;
}

function idxFiles(d: LabelledImages, picked: number[]): { images: Uint8Array; labels: Uint8Array } {
  const n = picked.length;
  const images = new Uint8Array(16 + n * 784);
  const iv = new DataView(images.buffer);
  iv.setUint32(0, 0x00000803);
  iv.setUint32(4, n);
  iv.setUint32(8, 28);
  iv.setUint32(12, 28);
  const labels = new Uint8Array(8 + n);
  const lv = new DataView(labels.buffer);
  lv.setUint32(0, 0x00000801);
  lv.setUint32(4, n);
  picked.forEach((k, i) => {
    for (let j = 0; j < 784; j++) images[16 + i * 784 + j] = Math.round(d.pixels[k * 784 + j] * 255);
    labels[8 + i] = d.labels[k];
  });
  return { images, labels };
}

async function main(): Promise<void> {
  const { train, test } = loadMnist();
  for (const [name, d] of [['holdout', test], ['replay', train]] as const) {
    const { images, labels } = idxFiles(d, balanced(d, PER_CLASS));
    writeFileSync(`models/${name}-images.idx.gz`, gzipSync(images, { level: 9 }));
    writeFileSync(`models/${name}-labels.idx.gz`, gzipSync(labels, { level: 9 }));
    console.log(`models/${name}-{images,labels}.idx.gz: ${PER_CLASS * 10} digits`);
  }
}

runMain(main);
