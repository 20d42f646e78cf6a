/**
 * Every limit the API enforces, in one place (the README quotes these). Request bodies are refused
 * with 413 before they are read whole: by Content-Length when given, else by counting the stream.
 */

/** Pixels in one JSON prediction: a 28 x 28 image, row-major, ink high (src/image/mnist.ts). */
export { PIXELS } from '../src/image/mnist.ts';

/**
 * Largest JSON body for /v1/predict: 64 KiB. 784 numbers written with 17 significant digits
 * ("0.12345678901234567,") take about 16 KiB; the rest is room for whitespace.
 */
export const MAX_JSON_BYTES = 64 * 1024;

/**
 * Largest image for /v1/predict, raw or as the multipart field `image`: src/image's MAX_IMAGE_BYTES,
 * 10 MiB (a 12-megapixel phone JPEG is 2 to 5 MiB).
 */
export { MAX_IMAGE_BYTES } from '../src/image/limits.ts';

/**
 * Largest image, in pixels, the Worker decodes: 4 megapixels (e.g. 2048 x 2048). The JPEG decoder
 * needs about 17 bytes per pixel at its peak and an isolate has 128 MB; resize larger photos
 * before sending them (the page does). Checked from the header, before decoding.
 */
export const MAX_IMAGE_PIXELS = 4 * 1024 * 1024;

/** Room for the multipart envelope (boundaries, part headers, other small fields) around the image. */
export const MAX_MULTIPART_OVERHEAD_BYTES = 16 * 1024;

/** The multipart form field that carries the image. */
export const IMAGE_FIELD = 'image';

/** Default model name: the bundled MNIST classifier and its registry entry. */
export const DEFAULT_MODEL = 'digits';

/**
 * Model versions (their bytes and engines) an isolate keeps at once, the least recently used let go
 * first: the current and the previous version of `digits` and of one personal model, or the current
 * versions of four models, so that predictions alternating between models do not reload each time.
 */
export const MODEL_VERSIONS_KEPT = 4;

/** Default seconds an isolate trusts the R2 manifest it read (the `MODEL_REFRESH_SECONDS` var). */
export const DEFAULT_MODEL_REFRESH_SECONDS = 10;

// --- Online learning: POST /v1/webhooks/training and POST /v1/feedback -----------------------------

/** Labelled examples in one webhook delivery. One queue message carries them (1 + 784 bytes each). */
export const MAX_EXAMPLES_PER_DELIVERY = 100;

/**
 * Largest webhook body: 4 MiB. 100 examples as pixel JSON take at most about 1.6 MiB; images are
 * smaller per example by the image limits below, so a delivery of images fits too.
 */
export const MAX_WEBHOOK_BYTES = 4 * 1024 * 1024;

/**
 * Largest image inside a delivery, after base64 decoding: 256 KiB (a phone photo of one digit,
 * resized; the page sends 28 x 28). Smaller than /v1/predict's because one delivery holds many.
 */
export const MAX_WEBHOOK_IMAGE_BYTES = 256 * 1024;

/** Largest image inside a delivery, in pixels: 0.25 megapixels (e.g. 512 x 512), checked from the header. */
export const MAX_WEBHOOK_IMAGE_PIXELS = 512 * 512;

/** Longest delivery id (webhook-id): it names an R2 object and a storage key. */
export const MAX_DELIVERY_ID_CHARS = 128;

/** Largest POST /v1/feedback body: one example as pixel JSON (same as /v1/predict's JSON). */
export const MAX_FEEDBACK_BYTES = MAX_JSON_BYTES;

/**
 * Seconds a client waits after POST /v1/feedback answered 429: the rate limiter's period
 * (wrangler.toml [[ratelimits]] simple.period), the longest the window can still be full.
 */
export const FEEDBACK_RETRY_AFTER_SECONDS = 60;

/** Default CPU budget of one training round's fine-tuning, in ms (the `TRAIN_CPU_BUDGET_MS` var). */
export const DEFAULT_TRAIN_CPU_BUDGET_MS = 20_000;

/**
 * The rate that converts TRAIN_CPU_BUDGET_MS into example passes: floating-point operations of
 * training (trainingFlopsPerExample in src/online/budget.ts) per millisecond of CPU, 8 GFLOP/s. Set
 * below the lowest rate measured inside workerd for the presets (`npm run bench -- train-workerd`;
 * the figures are in docs/online-learning.md), so that a round stays within its budget on a
 * somewhat slower CPU.
 */
export const TRAIN_FLOPS_PER_CPU_MS = 8e6;

/**
 * Corrections (POST /v1/feedback) wait in their model's trainer and make one round together when
 * `FEEDBACK_BATCH_SIZE` have arrived or the oldest has waited `FEEDBACK_BATCH_SECONDS` (vars; these
 * are their defaults), so that a stream of corrections does not publish a version each.
 */
export const DEFAULT_FEEDBACK_BATCH_SIZE = 20;
export const DEFAULT_FEEDBACK_BATCH_SECONDS = 600;

/** The most corrections one round takes (as many examples as one webhook delivery). */
export const MAX_CORRECTIONS_PER_ROUND = 100;

/** Default most models a deployment holds, bundled and personal together (the `MAX_MODELS` var). */
export const DEFAULT_MAX_MODELS = 100;

/**
 * Retention defaults (vars `VERSION_RETENTION_DAYS`, `DELIVERY_RETENTION_DAYS`): online versions no
 * longer current are deleted after 30 days; a decided delivery's id is remembered for 7 days, the
 * window in which a redelivery or a dead letter's replay is recognised (shorter than the versions',
 * whose manifest entries also name their deliveries).
 */
export const DEFAULT_VERSION_RETENTION_DAYS = 30;
export const DEFAULT_DELIVERY_RETENTION_DAYS = 7;

/** Retention runs at most this often per model, after a round. */
export const RETENTION_EVERY_MS = 24 * 3600 * 1000;

/** An object no manifest names is deleted only when older than this: it may belong to a publish in progress. */
export const ORPHAN_GRACE_MS = 3600 * 1000;

/** Examples per class the replay buffer keeps (its seed is 100 per class from MNIST's training set). */
export const REPLAY_PER_CLASS = 100;

/**
 * Examples per class a model's validation share keeps: the most recent held out of accepted
 * deliveries (at most 500 in all, 392 KB in the trainer's storage).
 */
export const VALIDATION_PER_CLASS = 50;

/** The share of each delivery's examples held out for the validation share (never trained on). */
export const HELD_OUT_SHARE = 0.1;

// --- Admin ---------------------------------------------------------------------------------------

/** Largest model a POST /v1/models/:name/versions may upload: 32 MiB (the article's MLP is 2.5 MB). */
export const MAX_MODEL_UPLOAD_BYTES = 32 * 1024 * 1024;

/** Longest `?note=` kept with a published version. */
export const MAX_NOTE_CHARS = 500;

// --- The Open Inference Protocol v2: POST /v2/models/:name/infer ----------------------------------

/**
 * Examples in one inference request: the first dimension of its input tensor. 64 digits as FP32
 * JSON take about 0.5 MiB with 6 significant digits, at most about 1.3 MiB with 17.
 */
export const MAX_INFER_BATCH = 64;

/** Largest inference request body: 4 MiB, room for MAX_INFER_BATCH digits as FP32 JSON written at any precision. */
export const MAX_INFER_BYTES = 4 * 1024 * 1024;

/**
 * Largest image in a BYTES input, after base64 decoding, and its pixels from the header: the limits
 * of an image in a webhook delivery (256 KiB, 0.25 megapixels), since one request holds many.
 */
export const MAX_INFER_IMAGE_BYTES = MAX_WEBHOOK_IMAGE_BYTES;
export const MAX_INFER_IMAGE_PIXELS = MAX_WEBHOOK_IMAGE_PIXELS;
