import { describe, expect, it } from 'vitest';
import {
  NAB_PROFILES,
  type NabFile,
  optimizeThreshold,
  probationaryLength,
  scaledSigmoid,
  scoreCorpus,
  sweepFile,
} from '../../../src/core/analytics/anomaly/nab-scorer.ts';

const STD = NAB_PROFILES.standard;
const sig = (y: number) => 2 / (1 + Math.exp(5 * y)) - 1;

/** n rows at t = 0..n-1 with the given windows as [startRow, endRow]. */
function file(n: number, windows: [number, number][], name = 'f.csv'): NabFile {
  return { name, timestamps: Array.from({ length: n }, (_, i) => i), windows };
}

function scoresWithDetections(n: number, rows: number[]): Float64Array {
  const s = new Float64Array(n);
  for (const r of rows) s[r] = 1;
  return s;
}

describe('scaledSigmoid', () => {
  it('matches the values documented in NAB sweeper.py', () => {
    // Prepare / Act / Assess
    expect(scaledSigmoid(-1)).toBeCloseTo(0.98661, 5);
    expect(scaledSigmoid(-0.5)).toBeCloseTo(0.84828, 5);
    expect(scaledSigmoid(0)).toBe(0);
    expect(scaledSigmoid(1)).toBeCloseTo(-0.98661, 5);
    expect(scaledSigmoid(3.0001)).toBe(-1);
  });
});

describe('probationaryLength', () => {
  it('is 15 % of the rows, at most 750', () => {
    expect(probationaryLength(100)).toBe(15);
    expect(probationaryLength(4032)).toBe(604);
    expect(probationaryLength(10000)).toBe(750);
  });
});

describe('NAB scoring of one window (100 rows, probation 15, window rows 50..59)', () => {
  const f = file(100, [[50, 59]]);
  const sweeps = [sweepFile(f)];

  it('gives exactly tpWeight for a detection on the first row of the window', () => {
    // Act
    const r = optimizeThreshold(sweeps, [scoresWithDetections(100, [50])], STD);
    // Assess: position -(59-50+1)/10 = -1, weight sigma(-1)/sigma(-1) = 1
    expect(r.score).toBeCloseTo(1, 12);
    expect(r.detectedWindows).toBe(1);
  });

  it('gives sigma(-0.1)/sigma(-1) for a detection on the last row of the window', () => {
    const r = optimizeThreshold(sweeps, [scoresWithDetections(100, [59])], STD);
    expect(r.score).toBeCloseTo(sig(-0.1) / sig(-1), 12);
  });

  it('counts only the earliest detection in a window', () => {
    const r = optimizeThreshold(sweeps, [scoresWithDetections(100, [50, 55, 59])], STD);
    expect(r.score).toBeCloseTo(1, 12);
  });

  it('charges a detection after the window fpWeight * sigma(distance / (width - 1)), and prefers no threshold when that only hurts', () => {
    // Prepare: detection 5 rows after the right edge (row 64): sigma(5/9) * 0.11 plus a missed window.
    const scores = scoresWithDetections(100, [64]);
    const sweep = sweepFile(f);
    // Act
    const r = optimizeThreshold(sweeps, [scores], STD);
    // Assess: the weight is there, and the optimiser keeps the all-miss score (-1) because detecting adds a penalty
    expect(sweep.unweighted[64]).toBeCloseTo(sig(5 / 9), 12);
    expect(r.score).toBeCloseTo(-1, 12);
    expect(r.threshold).toBe(1.1);
  });

  it('charges -fpWeight for a detection before any window', () => {
    const sweep = sweepFile(f);
    expect(sweep.unweighted[20]).toBe(-1);
    const scores = scoresWithDetections(100, [20, 50]);
    const r = optimizeThreshold(sweeps, [scores], STD);
    expect(r.score).toBeCloseTo(1 - 0.11, 12);
    expect(r.falsePositives).toBe(1);
  });

  it('ignores detections in the probationary period', () => {
    const r = optimizeThreshold(sweeps, [scoresWithDetections(100, [3, 50])], STD);
    expect(r.score).toBeCloseTo(1, 12);
    expect(r.falsePositives).toBe(0);
  });

  it('picks the threshold that maximises the total, ties going to the higher threshold', () => {
    // Prepare: 0.9 at the window start, 0.8 at an early row outside any window.
    const scores = new Float64Array(100);
    scores[50] = 0.9;
    scores[20] = 0.8;
    // Act
    const r = optimizeThreshold(sweeps, [scores], STD);
    // Assess
    expect(r.threshold).toBe(0.9);
    expect(r.score).toBeCloseTo(1, 12);
  });
});

describe('scoreCorpus normalisation', () => {
  const files = [
    file(200, [[60, 79]], 'a.csv'),
    file(
      300,
      [
        [100, 119],
        [200, 229],
      ],
      'b.csv',
    ),
    file(120, [], 'c.csv'),
  ];
  const sweeps = files.map((f) => sweepFile(f));

  it('scores the null detector 0 and the perfect detector 100 for every profile', () => {
    // Prepare
    const nul = files.map((f) => new Float64Array(f.timestamps.length));
    const perfect = [
      scoresWithDetections(200, [60]),
      scoresWithDetections(300, [100, 200]),
      new Float64Array(120),
    ];
    // Act
    const a = scoreCorpus(files, sweeps, nul);
    const b = scoreCorpus(files, sweeps, perfect);
    // Assess
    for (const profile of Object.keys(NAB_PROFILES)) {
      expect(a[profile]?.normalized).toBeCloseTo(0, 12);
      expect(b[profile]?.normalized).toBeCloseTo(100, 12);
    }
    expect(a.reward_low_FN_rate?.nullScore).toBe(-6);
  });

  it('gives a partial detector a score between, computed by hand', () => {
    // Prepare: detect window a at its start and one false positive before it; miss the two windows of b.
    const scores = [scoresWithDetections(200, [40, 60]), new Float64Array(300), new Float64Array(120)];
    // Act
    const r = scoreCorpus(files, sweeps, scores).standard;
    // Assess: S = 1 - 0.11 - 2 = -1.11, null = -3, perfect = 3 -> 100 * 1.89 / 6
    expect(r?.score).toBeCloseTo(-1.11, 12);
    expect(r?.normalized).toBeCloseTo((100 * 1.89) / 6, 10);
  });
});

describe('bad input', () => {
  it('rejects a window edge that is not a timestamp of the file', () => {
    expect(() => sweepFile(file(50, [[10, 99]]))).toThrow(/edge is not a timestamp/);
  });

  it('rejects scores outside [0, 1] and scores of the wrong length', () => {
    const sweeps = [sweepFile(file(50, [[20, 25]]))];
    const bad = new Float64Array(50);
    bad[30] = 1.5;
    expect(() => optimizeThreshold(sweeps, [bad], STD)).toThrow(/must be in \[0, 1\]/);
    expect(() => optimizeThreshold(sweeps, [new Float64Array(49)], STD)).toThrow(/one score per row/);
  });
});
