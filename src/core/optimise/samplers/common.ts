/**
 * Helpers shared by the samplers: uniform fills, finished-trial ranking, normal-distribution functions.
 */
import type { Rng } from '../../random.ts';
import { compareSingle, crowdingDistance, losses, nonDominatedSort, violation } from '../rank.ts';
import type { Dimension, Params, SearchSpace } from '../space.ts';
import type { Direction, TrialRecord } from '../types.ts';

/** Uniform internal value of a dimension (categorical: a uniform index). */
export function uniform(d: Dimension, rng: Rng): number {
  if (d.categorical) return Math.floor(rng() * (d.high + 1));
  return d.low + rng() * (d.high - d.low);
}

/** A uniformly random parameter set (conditional parameters only where active). */
export function randomParams(space: SearchSpace, rng: Rng): Params {
  return space.build({}, (d) => uniform(d, rng));
}

/**
 * Finished trials usable as observations (complete, plus pruned ones with an intermediate value in a
 * single-objective study), ordered best first.
 */
export function rankedObservations(
  trials: readonly TrialRecord[],
  directions: readonly Direction[],
): TrialRecord[] {
  if (directions.length === 1) {
    const dir = directions[0] as Direction;
    return trials
      .filter((t) => t.state === 'complete' || (t.state === 'pruned' && t.intermediate.length > 0))
      .sort((a, b) => compareSingle(a, b, dir));
  }
  const done = trials.filter((t) => t.state === 'complete');
  const pts = done.map((t) => losses(t, directions));
  const fronts = nonDominatedSort(
    pts,
    done.map((t) => violation(t)),
  );
  const out: TrialRecord[] = [];
  for (const f of fronts) {
    const cd = crowdingDistance(pts, f);
    const sorted = [...f].sort((a, b) => (cd.get(b) as number) - (cd.get(a) as number) || a - b);
    for (const i of sorted) out.push(done[i] as TrialRecord);
  }
  return out;
}

/** Error function (Numerical Recipes erfc, fractional error < 1.2e-7). */
export function erf(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 +
                            t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? 1 - r : r - 1;
}

/** Standard normal CDF. */
export function normCdf(x: number): number {
  return 0.5 * (1 + erf(x / Math.SQRT2));
}

export const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/** log(sum(exp(xs))) without overflow. */
export function logSumExp(xs: ArrayLike<number>): number {
  let m = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < xs.length; i++) if ((xs[i] as number) > m) m = xs[i] as number;
  if (m === Number.NEGATIVE_INFINITY) return m;
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += Math.exp((xs[i] as number) - m);
  return m + Math.log(s);
}
