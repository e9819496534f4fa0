import { describe, expect, it } from 'vitest';
import { segmentCost } from '../../../src/core/analytics/changepoint/cost.ts';
import {
  BayesianOnlineChangePoint,
  binarySegmentation,
  type ChangePointOptions,
  detectChangePoints,
  PELT_MAX_POINTS,
  pelt,
} from '../../../src/core/analytics/changepoint/index.ts';
import { mulberry32, normal } from '../../../src/core/random.ts';

function piecewise(seed: number, pieces: readonly [number, number, number][]): number[] {
  const rng = mulberry32(seed);
  const out: number[] = [];
  for (const [length, mean, sd] of pieces) for (let i = 0; i < length; i++) out.push(normal(rng, mean, sd));
  return out;
}

/**
 * Optimal partitioning without pruning (Jackson et al. 2005): what PELT must equal. `mbic` adds R's
 * changepoint MBIC term, ln(length), to every segment's cost.
 */
function optimalPartition(values: number[], penalty: number, minSegment: number, mbic = false): number[] {
  const base = segmentCost(values, 'meanvar');
  const cost = { cost: (a: number, b: number) => base.cost(a, b) + (mbic ? Math.log(b - a) : 0) };
  const n = values.length;
  const f = new Array<number>(n + 1).fill(Number.POSITIVE_INFINITY);
  const last = new Array<number>(n + 1).fill(0);
  f[0] = -penalty;
  for (let t = minSegment; t <= n; t++) {
    for (let tau = 0; tau <= t - minSegment; tau++) {
      if (tau !== 0 && tau < minSegment) continue;
      const v = (f[tau] as number) + cost.cost(tau, t) + penalty;
      if (v < (f[t] as number)) {
        f[t] = v;
        last[t] = tau;
      }
    }
  }
  const cps: number[] = [];
  for (let t = n; t > 0; t = last[t] as number) if ((last[t] as number) > 0) cps.push(last[t] as number);
  return cps.reverse();
}

describe('offline change points', () => {
  const meanShift = piecewise(1, [
    [100, 0, 1],
    [100, 3, 1],
  ]);
  const varianceShift = piecewise(2, [
    [120, 10, 1],
    [120, 10, 4],
  ]);

  for (const [name, detect] of [
    ['pelt', pelt],
    ['binary segmentation', binarySegmentation],
  ] as const) {
    it(`${name} finds a planted mean shift and a planted variance shift within a few points`, () => {
      // Act
      const m = detect(meanShift);
      const v = detect(varianceShift);
      // Assess
      expect(m.changePoints).toHaveLength(1);
      expect(Math.abs((m.changePoints[0] as number) - 100)).toBeLessThanOrEqual(3);
      expect(m.segments[1]?.mean).toBeCloseTo(3, 0);
      expect(v.changePoints).toHaveLength(1);
      expect(Math.abs((v.changePoints[0] as number) - 120)).toBeLessThanOrEqual(5);
      expect((v.segments[1] as { stdDev: number }).stdDev).toBeGreaterThan(3);
    });
  }

  it('finds no change point in stationary noise at the default penalty on most seeds', () => {
    let quiet = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const y = piecewise(seed, [[300, 50, 5]]);
      if (pelt(y).changePoints.length === 0 && binarySegmentation(y).changePoints.length === 0) quiet++;
    }
    expect(quiet).toBeGreaterThanOrEqual(18);
  });

  it('equals the unpruned optimal partition with BIC and with the default MBIC, and never costs more than binary segmentation', () => {
    for (const seed of [4, 5]) {
      const y = piecewise(seed, [
        [40, 0, 1],
        [30, 4, 1],
        [50, 4, 3],
        [40, -2, 1],
      ]);
      const bic = pelt(y, { penalty: 'bic' });
      expect(bic.penalty).toBeCloseTo(3 * Math.log(y.length), 12);
      expect(bic.changePoints).toEqual(optimalPartition(y, 3 * Math.log(y.length), 5));
      const mbic = pelt(y);
      expect(mbic.penalty).toBeCloseTo(4 * Math.log(y.length), 12);
      expect(mbic.changePoints).toEqual(optimalPartition(y, 4 * Math.log(y.length), 5, true));
      expect(mbic.cost).toBeLessThanOrEqual(binarySegmentation(y).cost + 1e-9);
      for (const planted of [40, 70, 120])
        expect(mbic.changePoints.some((c) => Math.abs(c - planted) <= 3)).toBe(true);
    }
  });

  it('keeps MBIC exact where short segments make pruning unsafe without its slack', () => {
    // Prepare: short bursts, so the ln(length) terms decide between close candidates
    for (const seed of [7, 8, 9]) {
      const y = piecewise(seed, [
        [12, 0, 1],
        [7, 3, 1],
        [15, 0, 1],
        [6, -3, 2],
        [20, 1, 1],
      ]);
      // Act / Assess
      expect(pelt(y, { penalty: 'mbic' }).changePoints).toEqual(
        optimalPartition(y, 4 * Math.log(y.length), 5, true),
      );
    }
  });

  it("the mean cost's noise level: 'series' (the whole series' sd) finds fewer changes than the robust default", () => {
    // Prepare: two small shifts and a large one, which inflates the whole series' sd (about 2.7, noise 1):
    // a shift of 1 between 60-point segments gains 30/σ² (30 at σ = 1, about 4 at 2.7) against MBIC's 3 ln 240 ≈ 16
    const y = piecewise(10, [
      [60, 0, 1],
      [60, 1, 1],
      [60, 0, 1],
      [60, 6, 1],
    ]);
    // Act
    const robust = pelt(y, { cost: 'mean' });
    const series = pelt(y, { cost: 'mean', sigma: 'series' });
    const known = pelt(y, { cost: 'mean', sigma: 1 });
    // Assess
    expect(robust.changePoints.length).toBe(3);
    expect(series.changePoints).toHaveLength(1);
    expect(Math.abs((series.changePoints[0] as number) - 180)).toBeLessThanOrEqual(2);
    expect(known.changePoints.length).toBe(3);
  });

  it('finds mean shifts with the mean cost and ranks them with maxChangePoints', () => {
    const y = piecewise(5, [
      [60, 0, 1],
      [60, 1.5, 1],
      [60, 8, 1],
    ]);
    const all = pelt(y, { cost: 'mean' });
    expect(all.changePoints.length).toBe(2);
    const top = binarySegmentation(y, { cost: 'mean', maxChangePoints: 1 });
    expect(top.changePoints).toHaveLength(1);
    expect(Math.abs((top.changePoints[0] as number) - 120)).toBeLessThanOrEqual(2);
  });

  it('chooses PELT for short series and binary segmentation for long ones', () => {
    const short = piecewise(6, [
      [50, 0, 1],
      [50, 5, 1],
    ]);
    expect(detectChangePoints(short).method).toBe('pelt');
    const long = piecewise(6, [
      [PELT_MAX_POINTS / 2, 0, 1],
      [PELT_MAX_POINTS / 2 + 1, 1, 1],
    ]);
    const r = detectChangePoints(long);
    expect(r.method).toBe('binseg');
    expect(r.changePoints).toHaveLength(1);
    expect(Math.abs((r.changePoints[0] as number) - PELT_MAX_POINTS / 2)).toBeLessThanOrEqual(20);
  });

  it('names the parameter and the rule on bad input', () => {
    const ok = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
    expect(() => detectChangePoints(ok, { method: 'x' as 'pelt' })).toThrow(/method must be one of/);
    expect(() => pelt([1, 2, Number.NaN, 4])).toThrow(/values\[2\] must be a finite number/);
    expect(() => pelt([1, 2, 3])).toThrow(/values must hold at least 2 · minSegment = 10 points/);
    expect(() => pelt(ok, { penalty: -1 })).toThrow(
      /penalty must be 'mbic', 'bic', 'aic' or a finite number >= 0/,
    );
    expect(() => pelt(ok, { cost: 'mean', sigma: 0 })).toThrow(
      /sigma must be 'robust', 'series' or a finite number > 0/,
    );
    expect(() => pelt(ok, { cost: 'poisson' } as unknown as ChangePointOptions)).toThrow(
      /cost must be one of/,
    );
    expect(() => binarySegmentation(ok, { minSegment: 0 })).toThrow(/minSegment must be an integer >= 1/);
  });
});

describe('BayesianOnlineChangePoint', () => {
  const run = (d: BayesianOnlineChangePoint, ys: readonly number[]): { at: number; index: number }[] => {
    const found: { at: number; index: number }[] = [];
    for (const y of ys) {
      const u = d.update(y);
      if (u.changePoint !== undefined) found.push({ at: u.changePoint, index: u.index });
    }
    return found;
  };

  it('detects a mean shift and then a variance shift, causally and within a few points', () => {
    // Prepare
    const y = piecewise(103, [
      [150, 0, 1],
      [150, 2, 1],
      [150, 2, 4],
    ]);
    // Act
    const found = run(new BayesianOnlineChangePoint(), y);
    // Assess: located within 2 points, reported within 15 points of the change
    expect(found).toHaveLength(2);
    expect(Math.abs((found[0]?.at as number) - 150)).toBeLessThanOrEqual(2);
    expect(Math.abs((found[1]?.at as number) - 300)).toBeLessThanOrEqual(2);
    for (const [k, cp] of [150, 300].entries()) {
      expect(found[k]?.index as number).toBeGreaterThanOrEqual(cp);
      expect(found[k]?.index as number).toBeLessThanOrEqual(cp + 15);
    }
  });

  it('reports nothing on stationary noise on most seeds, and ignores a lone outlier', () => {
    let quiet = 0;
    for (let seed = 1; seed <= 10; seed++) {
      if (run(new BayesianOnlineChangePoint(), piecewise(seed, [[600, 10, 2]])).length === 0) quiet++;
    }
    expect(quiet).toBeGreaterThanOrEqual(9);
    const spike = piecewise(3, [[300, 10, 2]]);
    spike[150] = 30;
    expect(run(new BayesianOnlineChangePoint(), spike)).toEqual([]);
  });

  it('keeps bounded memory and resumes identically from JSON', () => {
    // Prepare
    const y = piecewise(7, [
      [400, 0, 1],
      [200, 5, 1],
    ]);
    const d = new BayesianOnlineChangePoint({ maxRunLength: 50 });
    run(d, y.slice(0, 300));
    // Act
    const restored = BayesianOnlineChangePoint.fromJSON(JSON.parse(JSON.stringify(d)));
    const a = y.slice(300).map((v) => d.update(v));
    const b = y.slice(300).map((v) => restored.update(v));
    // Assess
    expect(b).toEqual(a);
    expect(d.runLengthDistribution().length).toBeLessThanOrEqual(51);
    expect(a.some((u) => u.changePoint !== undefined && Math.abs(u.changePoint - 400) <= 2)).toBe(true);
  });

  it('names the parameter and the rule on bad input', () => {
    expect(() => new BayesianOnlineChangePoint({ expectedRunLength: 1 })).toThrow(
      /expectedRunLength must be a finite number > 1/,
    );
    expect(() => new BayesianOnlineChangePoint({ maxRunLength: 5 })).toThrow(
      /maxRunLength must be an integer >= 10/,
    );
    expect(() => new BayesianOnlineChangePoint().update(Number.NaN)).toThrow(/value must be a finite number/);
    expect(() => BayesianOnlineChangePoint.fromJSON({ kind: 'x' } as never)).toThrow(/kind must be 'bocpd'/);
  });
});
