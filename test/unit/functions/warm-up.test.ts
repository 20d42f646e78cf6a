import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { engineKey, Engines } from '../../../functions/inference/engines.ts';
import { ModelCatalog } from '../../../functions/models/catalog.ts';
import { imageToPixels } from '../../../functions/predict/image.ts';
import { WARM_PNG, warmUp } from '../../../functions/warm-up.ts';

// What the isolate does at start: the default model imported into the core and run once on a
// small PNG, without failing the Worker's start whatever happens.
const bytes = new Uint8Array(readFileSync(join(import.meta.dirname, '../../../models/digits.onnx')));
const fresh = () => ({ catalog: new ModelCatalog([{ name: 'digits', bytes }]), engines: new Engines() });

describe('the warm-up at isolate start', () => {
  afterEach(() => vi.restoreAllMocks());

  it('its PNG is a 1 to the default model, through the preprocessing a request goes through', async () => {
    const { catalog, engines } = fresh();
    const pixels = await imageToPixels(Uint8Array.from(atob(WARM_PNG), (c) => c.charCodeAt(0)), 'image/png');
    const model = await catalog.bundledVersion('digits');
    const p = await (await engines.get(model, 'core', undefined, () => {})).predict(pixels);
    expect(p.indexOf(Math.max(...p))).toBe(1);
  });

  it.each([['core'], ['auto'], [undefined]])('INFERENCE_ENGINE=%s: the core engine is made, nothing is logged', async (mode) => {
    const errors = vi.spyOn(console, 'error');
    const { catalog, engines } = fresh();
    const made = vi.spyOn(engines, 'coreFor');
    await warmUp(catalog, engines, mode);
    expect(errors).not.toHaveBeenCalled();
    expect(made).toHaveBeenCalledTimes(1);
    // The engine is kept: a request finds it without waiting.
    const model = await catalog.bundledVersion('digits');
    expect(engines.coreFor(engineKey(model), model)).not.toBeInstanceOf(Promise);
  });

  it('INFERENCE_ENGINE=onnxruntime: nothing is made; a value that is not an engine is logged, not thrown', async () => {
    const { catalog, engines } = fresh();
    const made = vi.spyOn(engines, 'coreFor');
    await warmUp(catalog, engines, 'onnxruntime');
    expect(made).not.toHaveBeenCalled();
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    await expect(warmUp(catalog, engines, 'gpu')).resolves.toBeUndefined();
    expect(errors).toHaveBeenCalledOnce();
    expect(made).not.toHaveBeenCalled();
  });
});
