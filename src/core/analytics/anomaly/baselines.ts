/**
 * NAB's two reference points: the null detector (always 0; NAB normalises it to 0) and the random detector
 * (uniform scores; NAB publishes about 11-17). Useful to check a scorer and a harness, not to detect anything.
 */
import type { AnomalyDetector, DetectorJSON } from './types.ts';
import { checkPoint } from './types.ts';

/** Scores every point 0. */
export class NullDetector implements AnomalyDetector {
  readonly kind = 'null';

  update(time: number, value: number): number {
    checkPoint(time, value);
    return 0;
  }

  toJSON(): DetectorJSON {
    return { kind: this.kind, params: {}, state: null };
  }

  static fromJSON(_json: DetectorJSON): NullDetector {
    return new NullDetector();
  }
}

/** Uniform random scores from a seeded mulberry32 whose 32-bit state is kept in the JSON. */
export class RandomDetector implements AnomalyDetector {
  readonly kind = 'random';
  readonly params: { readonly seed: number };
  private state: number;

  constructor(params: Partial<{ seed: number }> = {}) {
    const seed = params.seed ?? 42;
    if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${String(seed)}`);
    this.params = { seed };
    this.state = seed >>> 0;
  }

  update(time: number, value: number): number {
    checkPoint(time, value);
    // mulberry32, as in src/core/random.ts, but with its state exposed so it can be serialised.
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  toJSON(): DetectorJSON {
    return { kind: this.kind, params: { ...this.params }, state: this.state };
  }

  static fromJSON(json: DetectorJSON): RandomDetector {
    const d = new RandomDetector(json.params as { seed: number });
    d.state = json.state as number;
    return d;
  }
}
