import type { ModelTrainer } from '../trainer/object.ts';
import { clearFailure, recordFailure, storeDeadLetter, type DeadLetterStore } from './dead-letters.ts';
import { parseTrainingMessage, type TrainingMessage } from './message.ts';

/**
 * The dead-letter queue of wrangler.toml: deliveries that failed 4 times. A batch from any other
 * queue is a batch of deliveries (the training queue, `nutshell-training`).
 */
export const DEAD_LETTER_QUEUE_NAME = 'nutshell-training-dlq';

/** What the consumers need from the Worker's bindings. */
export interface ConsumerEnv {
  MODELS: DeadLetterStore;
  TRAINER: DurableObjectNamespace<ModelTrainer>;
}

/**
 * The Worker's queue handler: a batch of the training queue goes to the trainers (one round per
 * model), a batch of the dead-letter queue into R2.
 *
 * @example
 * export default { queue: (batch, env) => consume(batch, env) } satisfies ExportedHandler<Env>;
 */
export async function consume(batch: MessageBatch<unknown>, env: ConsumerEnv): Promise<void> {
  if (batch.queue === DEAD_LETTER_QUEUE_NAME) return consumeDeadLetters(batch, env);
  return consumeTraining(batch, env);
}

/**
 * Groups the batch by model and hands each group to that model's trainer (a Durable Object) as
 * one round. Acknowledged when the trainer returned (applied, or recognised as applied before);
 * retried, all of the group, when it threw: the queue tries 4 times, then dead-letters them. A
 * message that is not a training message can never succeed: it goes to the dead letters at once.
 */
export async function consumeTraining(batch: MessageBatch<unknown>, env: ConsumerEnv): Promise<void> {
  const groups = new Map<string, Array<{ message: Message<unknown>; body: TrainingMessage }>>();
  for (const message of batch.messages) {
    let body: TrainingMessage;
    try {
      body = parseTrainingMessage(message.body);
    } catch (e) {
      console.error(`training queue: message ${message.id} is not a training message (${(e as Error).message}); kept as a dead letter`);
      await storeDeadLetter(env.MODELS, message.body);
      message.ack();
      continue;
    }
    const group = groups.get(body.model) ?? [];
    group.push({ message, body });
    groups.set(body.model, group);
  }
  await Promise.all(
    [...groups].map(async ([model, items]) => {
      try {
        const trainer = env.TRAINER.get(env.TRAINER.idFromName(model));
        await trainer.train(items.map((i) => i.body));
      } catch (e) {
        const attempt = Math.max(...items.map((i) => i.message.attempts));
        console.error(`training queue: training '${model}' on ${items.length} deliveries failed (attempt ${attempt}); the queue will retry them`, e);
        await Promise.all(items.map((i) => recordFailure(env.MODELS, i.body.delivery, e, i.message.attempts)));
        for (const i of items) i.message.retry();
        return;
      }
      for (const i of items) {
        i.message.ack();
        if (i.message.attempts > 1) await clearFailure(env.MODELS, i.body.delivery);
      }
    }),
  );
}

/** Keeps each dead letter in R2 (deadletters/<delivery>.json), where the admin routes list and replay it. */
export async function consumeDeadLetters(batch: MessageBatch<unknown>, env: ConsumerEnv): Promise<void> {
  for (const message of batch.messages) {
    try {
      const key = await storeDeadLetter(env.MODELS, message.body);
      console.warn(`training queue: a delivery failed every attempt; kept as ${key} (GET /v1/admin/deadletters)`);
      message.ack();
    } catch (e) {
      console.error('dead-letter queue: storing a dead letter failed; the queue will retry it', e);
      message.retry();
    }
  }
}
