/**
 * Quasi-random sampler: a scrambled Halton sequence (random digit permutations per dimension and digit
 * position, seeded by the study seed). Halton rather than Sobol: no direction-number tables to ship, and
 * with per-digit scrambling its known correlation problem in higher dimensions is much reduced.
 */
import { mulberry32, shuffled } from '../../random.ts';
import type { Sampler, SamplerContext, Suggestion } from '../types.ts';

const PRIMES = [
  2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97, 101, 103,
  107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167, 173, 179, 181, 191, 193, 197, 199, 211, 223,
  227, 229,
];
const DIGITS = 24;

/**
 * Scrambled Halton point `index` in [0,1)^dims.
 *
 * @example
 * haltonPoint(0, 2, 42); // two coordinates in [0, 1)
 */
export function haltonPoint(index: number, dims: number, seed: number): number[] {
  if (dims > PRIMES.length) throw new RangeError(`dims: at most ${PRIMES.length} dimensions are supported`);
  const out: number[] = [];
  for (let k = 0; k < dims; k++) {
    const perms = permutations(seed, k);
    const b = PRIMES[k] as number;
    let i = index;
    let f = 1 / b;
    let x = 0;
    for (let level = 0; level < DIGITS && f > 1e-16; level++) {
      const digit = i % b;
      i = Math.floor(i / b);
      x += ((perms[level] as number[])[digit] as number) * f;
      f /= b;
    }
    out.push(Math.min(x, 1 - Number.EPSILON));
  }
  return out;
}

const cache = new Map<string, number[][]>();
function permutations(seed: number, k: number): number[][] {
  const key = `${seed}:${k}`;
  let p = cache.get(key);
  if (!p) {
    const rng = mulberry32((seed ^ Math.imul(k + 1, 0x9e3779b1)) >>> 0);
    const b = PRIMES[k] as number;
    const base = Array.from({ length: b }, (_, i) => i);
    p = Array.from({ length: DIGITS }, () => shuffled(rng, base));
    if (cache.size > 1000) cache.clear();
    cache.set(key, p);
  }
  return p;
}

/**
 * Quasi-random sampler: trial n takes the n-th scrambled Halton point, one coordinate per parameter
 * (inactive conditional parameters skip theirs), so the space fills more evenly than with random search.
 */
export class QmcSampler implements Sampler {
  readonly name = 'qmc';
  sample(ctx: SamplerContext): Suggestion {
    const dims = ctx.space.dims;
    const u = haltonPoint(ctx.number, dims.length, ctx.seed);
    const internal: Record<string, number> = {};
    dims.forEach((d, k) => {
      const x = u[k] as number;
      internal[d.name] = d.categorical ? Math.floor(x * (d.high + 1)) : d.low + x * (d.high - d.low);
    });
    return { params: ctx.space.build(internal, () => 0) };
  }
}
