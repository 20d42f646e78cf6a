/**
 * Knowledge distillation (Hinton, Vinyals & Dean 2015, "Distilling the Knowledge in a Neural
 * Network"): a student learns from a teacher's answers as well as from the labels. The teacher's
 * probabilities are softened at a temperature T (p_i^(1/T), renormalised: softmax(log p / T), the
 * teacher's logits up to a constant), which shows the student how alike the wrong classes look;
 * its target is the mix (1 - w) * label + w * softened teacher, with the student's cross-entropy
 * taken at temperature 1.
 */
export interface DistillOptions {
  /** Softening of the teacher's probabilities (1: as they are; Hinton et al. use 2 to 20). */
  temperature: number;
  /** Weight of the teacher's targets against the labels, in [0, 1]. */
  weight: number;
}

/**
 * Mixes a teacher's softened probabilities into one-hot (or soft) targets, in place: `targets` and
 * `teacher` hold n rows of k.
 *
 * @example
 * distillTargets(targets, await teacher.predict(batch), n, 10, { temperature: 3, weight: 0.5 });
 */
export function distillTargets(targets: Float32Array, teacher: ArrayLike<number>, n: number, k: number, o: DistillOptions): void {
  if (!(o.temperature > 0) || !Number.isFinite(o.temperature)) throw new Error(`distillation temperature must be positive, got ${o.temperature}`);
  if (!(o.weight >= 0 && o.weight <= 1)) throw new Error(`distillation weight must be in [0, 1], got ${o.weight}`);
  const soft = new Float64Array(k);
  for (let r = 0; r < n; r++) {
    let sum = 0;
    for (let j = 0; j < k; j++) sum += soft[j] = Math.pow(Math.max(teacher[r * k + j], 0), 1 / o.temperature);
    for (let j = 0; j < k; j++) {
      const t = sum > 0 ? soft[j] / sum : 1 / k;
      targets[r * k + j] = (1 - o.weight) * targets[r * k + j] + o.weight * t;
    }
  }
}
