import { packExamples, type Example } from '../../src/online/example.ts';
import type { Bindings } from '../context.ts';
import { ApiError } from '../http/errors.ts';
import { sendTrainingMessage, type DeliverySource, type TrainingMessage } from './message.ts';

/** Seconds a sender waits before trying again when the queue did not take a delivery. */
const QUEUE_RETRY_AFTER_SECONDS = 10;

/**
 * Puts a delivery on the training queue and resolves only once the queue has durably taken it, so
 * that the caller's 202 is a promise kept. 503 when there is no queue or it refused.
 *
 * @example
 * await enqueueDelivery(c.env, { delivery: id, model: 'digits', source: 'webhook', examples });
 */
export async function enqueueDelivery(
  env: Bindings | undefined,
  d: { delivery: string; model: string; source: DeliverySource; examples: Example[] },
): Promise<TrainingMessage> {
  const queue = env?.TRAINING_QUEUE;
  if (!queue) throw new ApiError(503, 'training_unavailable', 'this deployment has no training queue (TRAINING_QUEUE)');
  const message: TrainingMessage = {
    delivery: d.delivery,
    model: d.model,
    source: d.source,
    receivedAt: new Date().toISOString(),
    records: packExamples(d.examples),
  };
  try {
    await sendTrainingMessage(queue, message);
  } catch (e) {
    console.error(`training queue: sending delivery ${d.delivery} failed`, e);
    throw new ApiError(503, 'queue_unavailable', 'the training queue did not take the delivery; send it again later', {
      'Retry-After': String(QUEUE_RETRY_AFTER_SECONDS),
    });
  }
  return message;
}
