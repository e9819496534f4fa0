/**
 * Small seeded pseudo-random toolkit shared by the domain core (forecast simulation, samplers, ML).
 * Deterministic by design: every consumer takes a seed so benchmarks and tests reproduce exactly.
 * Keep this API small and stable; other modules import it.
 */

/** A generator of uniform numbers in [0, 1). */
export type Rng = () => number;

/**
 * mulberry32: a fast 32-bit generator with good statistical quality for simulation (not for cryptography).
 *
 * @example
 * const rng = mulberry32(42);
 * const u = rng(); // in [0, 1)
 */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Standard normal variate by Box-Muller (the spare second variate is discarded so that the
 * sequence depends only on the generator, not on hidden state here).
 *
 * @example
 * const z = normal(mulberry32(1)); // ~ N(0, 1)
 */
export function normal(rng: Rng, mean = 0, sd = 1): number {
  let u = rng();
  // log(0) would be -Infinity; 1 - u is in (0, 1].
  u = 1 - u;
  const v = rng();
  return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Uniform integer in [0, n). */
export function randomInt(rng: Rng, n: number): number {
  return Math.floor(rng() * n);
}

/** Fisher-Yates shuffle of a copy. */
export function shuffled<T>(rng: Rng, items: readonly T[]): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = randomInt(rng, i + 1);
    const tmp = out[i] as T;
    out[i] = out[j] as T;
    out[j] = tmp;
  }
  return out;
}
