import { ApiFailure, listModels, predict, sendFeedback, type Prediction } from './api.ts';
import { LatestOnly } from './latest.ts';
import { DrawingPad } from './pad.ts';
import { prepareUpload } from './upload.ts';
import { View } from './view.ts';
import { VersionWatch } from './watch.ts';

// While drawing: a prediction once the pen rests 250 ms, or every 800 ms at most; at once on lift.
const QUIET_MS = 250;
const MAX_WAIT_MS = 800;

const view = new View();
const watch = new VersionWatch();

/** What is predicted: the pad's drawing, or an uploaded image (sent as prepared, not redrawn). */
let upload: Blob | null = null;
/** Bumped whenever the input is replaced, so an answer to an older input is dropped. */
let generation = 0;
let last: Prediction | null = null;

const predictor = new LatestOnly(runPrediction, QUIET_MS, MAX_WAIT_MS, (busy) => view.busy(busy));
const pad = new DrawingPad(view.pad, onInk, () => {
  replaceInput();
  view.file.value = '';
});

function onInk(lifted: boolean): void {
  if (lifted) return predictor.now();
  // A correction applies to the image the shown prediction was made from: wait for the new one.
  view.enableFix(false);
  predictor.request();
}

async function runPrediction(): Promise<void> {
  const asked = generation;
  const image = upload ?? (pad.isEmpty ? null : await pad.toBlob());
  if (!image) return;
  try {
    const p = await predict(image);
    if (asked !== generation) return;
    last = p;
    view.showPrediction(p);
    view.enableFix(true);
  } catch (e) {
    if (asked !== generation) return;
    view.showError(`No prediction: ${messageOf(e)}`);
  }
}

/** A new drawing or upload replaces the input: earlier answers and corrections no longer apply. */
function replaceInput(): void {
  generation++;
  upload = null;
  last = null;
  predictor.cancel();
  view.enableFix(false);
}

view.clear.addEventListener('click', () => {
  replaceInput();
  pad.clear();
  view.file.value = '';
  view.reset();
});

view.file.addEventListener('change', async () => {
  const file = view.file.files?.[0];
  if (!file) return;
  replaceInput();
  view.reset('Reading the image…');
  try {
    const prepared = await prepareUpload(file);
    pad.show(prepared.picture);
    upload = prepared.image;
    predictor.now();
  } catch (e) {
    pad.clear();
    view.reset('Draw a digit, or upload a picture of one.');
    view.showError(messageOf(e));
  }
});

for (const button of view.fix.querySelectorAll<HTMLButtonElement>('button[data-label]')) {
  button.addEventListener('click', () => void correct(Number(button.dataset.label)));
}

async function correct(label: number): Promise<void> {
  const p = last;
  if (!p) return;
  view.enableFix(false);
  view.say(`Sending "${label}"…`);
  try {
    const receipt = await sendFeedback(p.input, label);
    view.say(`Thank you: "${label}" was accepted for training (delivery ${receipt.delivery}). Watching for a new model version…`);
    watch.start(
      p.model,
      (version) => {
        view.showModel({ name: p.model.name, version });
        view.say(`The model was updated: version ${version} now answers (it was ${p.model.version}).`);
        if (!pad.isEmpty) predictor.now();
      },
      () => view.say(`Your correction is queued; no new model version yet (still ${p.model.version}). Corrections are trained on together, a batch at a time, and a new version is served only when it passes the gate.`),
    );
  } catch (e) {
    view.say(correctionRefused(e));
    const wait = e instanceof ApiFailure && e.status === 429 ? (e.retryAfter ?? 60) : 0;
    // The same drawing may be corrected again once the server allows it.
    setTimeout(() => view.enableFix(last === p), wait * 1000);
  }
}

function correctionRefused(e: unknown): string {
  if (e instanceof ApiFailure) {
    if (e.status === 429) return `Too many corrections for now: try again in ${e.retryAfter ?? 60} s. (${e.message})`;
    if (e.status === 503 && e.code === 'feedback_disabled') return `Corrections are switched off on this server at the moment. (${e.message})`;
    if (e.status === 0) return `Not sent: ${e.message}`;
    return `The correction was not accepted: ${e.message}`;
  }
  return `The correction was not sent: ${messageOf(e)}`;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

addEventListener('offline', () => view.showOffline(true));
addEventListener('online', () => {
  view.showOffline(false);
  view.showError('');
  if (upload || !pad.isEmpty) predictor.now();
});
view.showOffline(!navigator.onLine);
view.reset();

// Name the model before the first drawing; a failure here shows once someone draws.
listModels()
  .then(({ models }) => {
    const served = models.find((m) => m.name === 'digits') ?? models[0];
    if (served && !last) view.showModel(served);
  })
  .catch(() => {});
