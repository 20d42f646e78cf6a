import type { TrainingMessage } from '../queue/message.ts';
import { deleteMany, keys, type TrainerStorage } from './state.ts';

/** A delivery waiting in the inbox, with when it arrived (ms since the epoch). */
export interface Waiting {
  message: TrainingMessage;
  since: number;
}

/** Deliveries to be decided together in one round (the half of a rejected round, or a batch of corrections). */
export interface Group {
  deliveries: string[];
  /** For the halves of a rejected round: the version that round was trained from. A half may not be significantly worse than it either. */
  origin: string | null;
  /** Rounds of this group that failed (an error, not a rejection), the last error, and when to try again. */
  attempts: number;
  lastError?: string;
  notBefore?: number;
}

/** When corrections make a round: `size` of them waiting, or the oldest waiting `seconds`. */
export interface Batching {
  size: number;
  seconds: number;
  /** The most corrections one round takes. */
  max: number;
}

/**
 * The trainer's durable inbox: deliveries accepted from the queue but not decided yet. Public
 * corrections wait here until enough have arrived or the oldest has waited long enough (then they
 * make one round, not one version each); the halves of a rejected round wait here for their own
 * rounds. The Durable Object's alarm works through it, one round per invocation.
 *
 * @example
 * await inbox.hold(corrections);
 * const next = await inbox.next(Date.now(), batching);
 */
export class Inbox {
  constructor(private readonly storage: TrainerStorage) {}

  /** Ids of every delivery waiting. */
  async ids(): Promise<Set<string>> {
    return new Set([...(await this.waiting()).keys()]);
  }

  /** Keeps deliveries to be batched (corrections). */
  async hold(messages: readonly TrainingMessage[], now: number): Promise<void> {
    if (!messages.length) return;
    await this.storage.put(Object.fromEntries(messages.map((m) => [keys.inbox(m.delivery), { message: m, since: now } satisfies Waiting])));
  }

  /**
   * Replaces `group` (if it was stored) with `halves`, keeping every message they hold, in one atomic
   * put: a crash leaves either the group or its halves, never neither.
   */
  async split(halves: ReadonlyArray<{ messages: TrainingMessage[]; origin: string | null }>, group: Group | null, now: number): Promise<void> {
    const groups = (await this.groups()).filter((g) => !group || !sameGroup(g, group));
    const stored = await this.waiting();
    const entries: Record<string, unknown> = {};
    for (const h of halves) for (const m of h.messages) entries[keys.inbox(m.delivery)] = stored.get(m.delivery) ?? ({ message: m, since: now } satisfies Waiting);
    entries[keys.groups] = [...halves.map((h) => ({ deliveries: h.messages.map((m) => m.delivery), origin: h.origin, attempts: 0 })), ...groups];
    await this.storage.put(entries);
  }

  /**
   * The next group to decide, with its messages: the first stored group that is due, else a batch
   * of corrections if enough are waiting or the oldest has waited `batching.seconds` (stored as a
   * group first, so that its failures are counted). Null when nothing is due.
   */
  async next(now: number, batching: Batching): Promise<{ group: Group; messages: TrainingMessage[] } | null> {
    const waiting = await this.waiting();
    const groups = await this.groups();
    for (const group of groups) {
      if ((group.notBefore ?? 0) > now) continue;
      const messages = group.deliveries.map((id) => waiting.get(id)?.message).filter((m): m is TrainingMessage => !!m);
      return { group, messages };
    }
    const loose = looseOf(waiting, groups);
    if (!loose.length || !(loose.length >= batching.size || loose[0].since + batching.seconds * 1000 <= now)) return null;
    const batch = loose.slice(0, batching.max);
    const group: Group = { deliveries: batch.map((w) => w.message.delivery), origin: null, attempts: 0 };
    await this.storage.put({ [keys.groups]: [...groups, group] });
    return { group, messages: batch.map((w) => w.message) };
  }

  /** Removes a decided group, and those of its deliveries no other group holds (a split's halves keep theirs), from the inbox. */
  async finish(group: Group): Promise<void> {
    const groups = (await this.groups()).filter((g) => !sameGroup(g, group));
    const held = new Set(groups.flatMap((g) => g.deliveries));
    await this.storage.put({ [keys.groups]: groups });
    await deleteMany(this.storage, group.deliveries.filter((d) => !held.has(d)).map(keys.inbox));
  }

  /** Counts a failed round of `group`; it is tried again after a backoff. Returns the attempts so far. */
  async failed(group: Group, error: string, now: number): Promise<number> {
    const groups = await this.groups();
    const stored = groups.find((g) => sameGroup(g, group));
    if (!stored) return group.attempts + 1;
    stored.attempts++;
    stored.lastError = error.slice(0, 500);
    stored.notBefore = now + Math.min(300_000, 2000 * 2 ** stored.attempts);
    await this.storage.put({ [keys.groups]: groups });
    return stored.attempts;
  }

  /** When the next group falls due (ms since the epoch), or null when the inbox is empty. */
  async wake(batching: Batching): Promise<number | null> {
    const waiting = await this.waiting();
    const groups = await this.groups();
    const times = groups.map((g) => g.notBefore ?? 0);
    const loose = looseOf(waiting, groups);
    if (loose.length) times.push(loose.length >= batching.size ? 0 : loose[0].since + batching.seconds * 1000);
    return times.length ? Math.min(...times) : null;
  }

  /** How many deliveries wait, in groups and loose. */
  async counts(): Promise<{ groups: number; deliveries: number }> {
    return { groups: (await this.groups()).length, deliveries: (await this.waiting()).size };
  }

  private async groups(): Promise<Group[]> {
    return (await this.storage.get<Group[]>(keys.groups)) ?? [];
  }

  private async waiting(): Promise<Map<string, Waiting>> {
    const listed = await this.storage.list<Waiting>({ prefix: 'inbox:' });
    return new Map([...listed.values()].map((w) => [w.message.delivery, w]));
  }
}

/** Waiting deliveries in no group (corrections not batched yet), oldest first. */
function looseOf(waiting: Map<string, Waiting>, groups: readonly Group[]): Waiting[] {
  const grouped = new Set(groups.flatMap((g) => g.deliveries));
  return [...waiting.values()].filter((w) => !grouped.has(w.message.delivery)).sort((a, b) => a.since - b.since);
}

function sameGroup(a: Group, b: Group): boolean {
  return a.deliveries.length === b.deliveries.length && a.deliveries.every((d, i) => d === b.deliveries[i]);
}

