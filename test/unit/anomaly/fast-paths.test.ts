/**
 * The allocation-free data structures behind the fast detectors (typed-array sorted window, typed rings in
 * the likelihood wrapper) must behave exactly like the plain-array versions they replaced: same quantiles,
 * same JSON layout, same scores across ring wrap-around and a restore from JSON.
 */
import { describe, expect, it } from 'vitest';
import {
  EnsembleDetector,
  KnnDetector,
  LikelihoodDetector,
  RobustDetector,
  restoreDetector,
} from '../../../src/core/analytics/anomaly/index.ts';
import { SortedWindow } from '../../../src/core/analytics/anomaly/math.ts';
import { mulberry32, randomInt } from '../../../src/core/random.ts';

/** numpy-default quantile of a plain sorted copy: the reference the window must match bit for bit. */
function naiveQuantile(values: readonly number[], q: number): number {
  const s = values.slice().sort((a, b) => a - b);
  const pos = q * (s.length - 1);
  const lo = Math.floor(pos);
  const a = s[lo] as number;
  const b = s[Math.min(lo + 1, s.length - 1)] as number;
  return a + (b - a) * (pos - lo);
}

describe('SortedWindow', () => {
  it('matches a sort of the last capacity values at every step, with many ties', () => {
    // Prepare: a small alphabet so that deletes and inserts hit runs of equal values
    const rng = mulberry32(11);
    const w = new SortedWindow(7);
    const seen: number[] = [];
    // Act and Assess
    for (let i = 0; i < 500; i++) {
      const v = randomInt(rng, 5) - 2 + (i % 50 === 0 ? 0.5 : 0);
      w.push(v);
      seen.push(v);
      const last = seen.slice(-7);
      expect(w.size).toBe(last.length);
      for (const q of [0, 0.05, 0.25, 0.5, 0.75, 0.95, 1]) expect(w.quantile(q)).toBe(naiveQuantile(last, q));
    }
  });

  it('serialises the ring as filled so far and restores the same quantiles', () => {
    // Prepare
    const w = new SortedWindow(4);
    for (const v of [3, 1, 2]) w.push(v);
    // Act
    const partial = w.toJSON();
    for (const v of [9, 0, 5]) w.push(v);
    const full = JSON.parse(JSON.stringify(w.toJSON())) as ReturnType<SortedWindow['toJSON']>;
    const copy = SortedWindow.fromJSON(full);
    // Assess: ring slots are overwritten in place, head points at the oldest value (2)
    expect(partial).toEqual({ capacity: 4, ring: [3, 1, 2], head: 0 });
    expect(full).toEqual({ capacity: 4, ring: [0, 5, 2, 9], head: 2 });
    expect(copy.quantile(0.5)).toBe(w.quantile(0.5));
    copy.push(7);
    w.push(7);
    expect(copy.toJSON()).toEqual(w.toJSON());
    expect(copy.quantile(0.25)).toBe(naiveQuantile([9, 0, 5, 7], 0.25));
  });

  it('rejects a ring longer than its capacity', () => {
    expect(() => SortedWindow.fromJSON({ capacity: 2, ring: [1, 2, 3], head: 0 })).toThrow(/ring must be/);
  });

  it('gives NaN when empty', () => {
    expect(new SortedWindow(3).quantile(0.5)).toBeNaN();
  });
});

describe('LikelihoodDetector rings', () => {
  const params = {
    learningPeriod: 5,
    estimationSamples: 10,
    historicWindow: 23,
    reestimationPeriod: 7,
    averagingWindow: 4,
  };
  const xs = Array.from(
    { length: 400 },
    (_, i) => Math.sin(i / 5) + (i % 97 === 0 ? 4 : 0) + (i % 13) * 0.01,
  );

  it('resumes identically from JSON at every point, across wrap-around of both rings', () => {
    // Prepare
    const whole = new LikelihoodDetector(new RobustDetector({ window: 16, minPoints: 3 }), params);
    const expected = xs.map((x, i) => whole.update(i, x));
    // Act and Assess: cut at many places, including before the first fit and mid-ring
    for (const cut of [0, 1, 3, 4, 15, 22, 23, 24, 50, 211, 399]) {
      const first = new LikelihoodDetector(new RobustDetector({ window: 16, minPoints: 3 }), params);
      for (let i = 0; i < cut; i++) first.update(i, xs[i] as number);
      const restored = restoreDetector(JSON.parse(JSON.stringify(first.toJSON())));
      const tail = xs.slice(cut).map((x, j) => restored.update(cut + j, x));
      expect(tail).toEqual(expected.slice(cut));
    }
  });

  it('resumes identically when the history grows past its first allocation and wraps', () => {
    // Prepare: 1500 slots start as 1024 and grow; 2000 points wrap the full ring
    const long = { ...params, historicWindow: 1500, reestimationPeriod: 50 };
    const ys = Array.from({ length: 2000 }, (_, i) => Math.sin(i / 7) + (i % 331 === 0 ? 3 : 0));
    const whole = new LikelihoodDetector(new RobustDetector({ window: 32 }), long);
    const expected = ys.map((y, i) => whole.update(i, y));
    // Act and Assess
    for (const cut of [1023, 1025, 1499, 1501, 1800]) {
      const first = new LikelihoodDetector(new RobustDetector({ window: 32 }), long);
      for (let i = 0; i < cut; i++) first.update(i, ys[i] as number);
      const restored = restoreDetector(JSON.parse(JSON.stringify(first.toJSON())));
      expect(ys.slice(cut).map((y, j) => restored.update(cut + j, y))).toEqual(expected.slice(cut));
    }
  });

  it('writes the ring state oldest first, with nulls before the first value and fit', () => {
    // Prepare
    const d = new LikelihoodDetector(new RobustDetector({ window: 16, minPoints: 3 }), params);
    const fresh = d.toJSON().state as Record<string, unknown>;
    // Act
    for (let i = 0; i < 6; i++) d.update(i, i);
    const state = d.toJSON().state as Record<string, unknown>;
    // Assess
    expect(fresh).toMatchObject({ iteration: 0, avgs: [], recent: [], mean: null, min: null, max: null });
    expect(state.recent).toHaveLength(4);
    expect(state.avgs).toHaveLength(6);
    expect(state.values).toEqual([0, 1, 2, 3, 4, 5]);
    expect(state).toMatchObject({ iteration: 6, min: 0, max: 5, mean: null });
  });

  it('rejects a stored history longer than historicWindow', () => {
    // Prepare
    const d = new LikelihoodDetector(new RobustDetector(), params);
    const json = d.toJSON();
    const state = {
      ...(json.state as Record<string, unknown>),
      avgs: new Array(24).fill(0),
      values: new Array(24).fill(0),
    };
    // Act and Assess
    expect(() => restoreDetector({ ...json, state })).toThrow(/state.avgs must hold at most historicWindow/);
  });
});

describe('EnsembleDetector held votes', () => {
  it('serialises held votes as a plain array', () => {
    // Prepare
    const e = new EnsembleDetector(
      [new RobustDetector({ minPoints: 2 }), new RobustDetector({ minPoints: 2 })],
      {
        combine: 'max',
        decay: 0.5,
      },
    );
    // Act
    for (const v of [1, 2, 1, 2, 50]) e.update(0, v);
    const state = e.toJSON().state as { held: unknown };
    // Assess
    expect(Array.isArray(state.held)).toBe(true);
    expect((state.held as number[])[0]).toBeGreaterThan(0.9);
  });
});

describe('KnnDetector rings', () => {
  const params = { dim: 3, k: 2, training: 5, calibration: 4 };
  const xs = Array.from({ length: 60 }, (_, i) => Math.cos(i / 2) + (i === 40 ? 5 : 0));

  it('resumes identically from JSON at every point, across wrap-around of every ring', () => {
    // Prepare
    const whole = new KnnDetector(params);
    const expected = xs.map((x, i) => whole.update(i, x));
    // Act and Assess
    for (let cut = 0; cut < xs.length; cut++) {
      const first = new KnnDetector(params);
      for (let i = 0; i < cut; i++) first.update(i, xs[i] as number);
      const restored = restoreDetector(JSON.parse(JSON.stringify(first.toJSON())));
      expect(xs.slice(cut).map((x, j) => restored.update(cut + j, x))).toEqual(expected.slice(cut));
    }
    expect(expected[40]).toBeGreaterThan(0.8);
  });

  it('serialises embeddings as arrays of dim values, pending ones oldest first', () => {
    // Prepare
    const d = new KnnDetector(params);
    // Act: 5 points close 3 embeddings, none old enough to train on
    for (let i = 1; i <= 5; i++) d.update(i, i);
    const state = d.toJSON().state as { recent: number[]; pending: number[][]; train: number[][] };
    // Assess
    expect(state.recent).toEqual([3, 4, 5]);
    expect(state.pending).toEqual([
      [1, 2, 3],
      [2, 3, 4],
      [3, 4, 5],
    ]);
    expect(state.train).toEqual([]);
  });

  it('rejects a training embedding of the wrong length', () => {
    // Prepare
    const json = new KnnDetector(params).toJSON();
    const state = { ...(json.state as Record<string, unknown>), train: [[1, 2]] };
    // Act and Assess
    expect(() => restoreDetector({ ...json, state })).toThrow(/state.train must be/);
  });
});
