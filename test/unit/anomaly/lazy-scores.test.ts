/**
 * The speed-ups behind the default ensemble must not change a single score bit: the likelihood's deferred
 * scores (z read against the red-zone boundary, erfc only when a score is needed), its incremental refit
 * sums, the ensemble that computes only the member scores its maximum needs, and the eight-lag
 * autocorrelation sweep. Each is checked against a plain reference written the straightforward way.
 */
import { describe, expect, it } from 'vitest';
import {
  type AnomalyDetector,
  autocorrelations,
  CusumDetector,
  createDetector,
  DETECTOR_PRESETS,
  detectPeriod,
  EnsembleDetector,
  erfc,
  LikelihoodDetector,
  type LikelihoodParams,
  logLikelihood,
  PENDING,
  RobustDetector,
  restoreDetector,
} from '../../../src/core/analytics/anomaly/index.ts';
import { mulberry32, normal } from '../../../src/core/random.ts';

/** Bit-level equality of two score lists (+0 and -0 differ, as they do in a hash of the scores). */
function sameBits(a: readonly number[], b: readonly number[]): boolean {
  const x = new Uint8Array(Float64Array.from(a).buffer);
  const y = new Uint8Array(Float64Array.from(b).buffer);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/**
 * The anomaly likelihood as first written: arrays with push and shift, a full two-pass refit of both the
 * averaged scores and the values, and every score computed from its tail.
 */
function referenceLikelihood(inner: AnomalyDetector, p: LikelihoodParams): (t: number, v: number) => number {
  const avgs: number[] = [];
  const values: number[] = [];
  const recent: number[] = [];
  let iteration = 0;
  let recentTotal = 0;
  let mean = Number.NaN;
  let std = 1;
  let prevTail = 1;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let rest = 0;
  const estimate = (): void => {
    const n = avgs.length;
    const skip = Math.min(n, Math.max(0, p.learningPeriod - Math.max(0, iteration - p.historicWindow)));
    const a = avgs.slice(skip);
    const w = values.slice(skip);
    if (a.length === 0) {
      mean = 0.5;
      std = 1e3;
      return;
    }
    let sum = 0;
    let vsum = 0;
    for (let i = 0; i < a.length; i++) {
      sum += a[i] as number;
      vsum += w[i] as number;
    }
    const m = sum / a.length;
    const vm = vsum / a.length;
    let ss = 0;
    let vss = 0;
    for (let i = 0; i < a.length; i++) {
      ss += ((a[i] as number) - m) ** 2;
      vss += ((w[i] as number) - vm) ** 2;
    }
    if (vss / a.length < 1.5e-5) {
      mean = 0.5;
      std = 1e3;
      return;
    }
    mean = Math.max(m, 0.03);
    std = Math.sqrt(Math.max(ss / a.length, 0.0003));
  };
  return (t, v) => {
    const raw = inner.update(t, v);
    recentTotal += raw;
    recent.push(raw);
    if (recent.length > p.averagingWindow) recentTotal -= recent.shift() as number;
    const avg = recentTotal / recent.length;
    let score = 0;
    if (iteration >= p.learningPeriod + p.estimationSamples) {
      if (Number.isNaN(mean) || iteration % p.reestimationPeriod === 0) estimate();
      const rawTail = 0.5 * erfc((avg - mean) / std / Math.SQRT2);
      const tail = rawTail <= 1e-5 && prevTail <= 1e-5 ? 1e-3 : rawTail;
      prevTail = rawTail;
      score = logLikelihood(tail);
    }
    if (p.spatialTolerance > 0 && max > min) {
      const tol = (max - min) * p.spatialTolerance;
      if (v > max + tol || v < min - tol) score = 1;
    }
    min = Math.min(min, v);
    max = Math.max(max, v);
    if (p.restPeriod > 0) {
      if (rest > 0) {
        rest--;
        if (score > p.restCap) score = p.restCap;
      } else if (score >= p.alertLevel) rest = p.restPeriod;
    }
    avgs.push(avg);
    values.push(v);
    if (avgs.length > p.historicWindow) {
      avgs.shift();
      values.shift();
    }
    iteration++;
    return score;
  };
}

/**
 * Noise, a daily-like cycle (none when `period` is 0), isolated spikes, a level shift and a flat stretch
 * (for the flat-series test; none without a cycle, which would look periodic otherwise).
 */
function series(n: number, seed: number, period = 24): number[] {
  const rng = mulberry32(seed);
  return Array.from({ length: n }, (_, i) => {
    if (period > 0 && i >= 500 && i < 700) return 3;
    const cycle = period > 0 ? Math.sin((2 * Math.PI * i) / period) : 0;
    const base = cycle + (i > 1200 ? 2 : 0);
    const spike = i % 211 === 50 ? 6 : i % 157 === 3 ? -5 : 0;
    return base + spike + 0.2 * normal(rng);
  });
}

const SMALL: LikelihoodParams = {
  learningPeriod: 20,
  estimationSamples: 30,
  historicWindow: 300,
  reestimationPeriod: 7,
  averagingWindow: 5,
  spatialTolerance: 0.05,
  restPeriod: 0,
  alertLevel: 0.5,
  restCap: 0.3,
};

describe('LikelihoodDetector against the plain algorithm', () => {
  it('gives bit-identical scores across refits, ring wrap, a flat stretch and red zones', () => {
    // Prepare: a 300-slot history wraps several times over 1600 points
    const xs = series(1600, 7);
    const fast = new LikelihoodDetector(new RobustDetector({ window: 40, minPoints: 5 }), SMALL);
    const plain = referenceLikelihood(new RobustDetector({ window: 40, minPoints: 5 }), SMALL);
    // Act
    const got = xs.map((x, i) => fast.update(i, x));
    const want = xs.map((x, i) => plain(i, x));
    // Assess: some points score 1 (spatial), some are suppressed red-zone repeats, the rest vary
    expect(sameBits(got, want)).toBe(true);
    expect(got.filter((s) => s === 1).length).toBeGreaterThan(0);
  });

  it('gives bit-identical scores with a rest period (scores computed at once) and the default sizes', () => {
    // Prepare
    const xs = series(2500, 11);
    const params = { ...SMALL, historicWindow: 8640, learningPeriod: 150, estimationSamples: 150 };
    const rested = { ...params, reestimationPeriod: 100, averagingWindow: 10, restPeriod: 5 };
    const fast = new LikelihoodDetector(new CusumDetector(), rested);
    const plain = referenceLikelihood(new CusumDetector(), rested);
    // Act and Assess
    expect(
      sameBits(
        xs.map((x, i) => fast.update(i, x)),
        xs.map((x, i) => plain(i, x)),
      ),
    ).toBe(true);
  });

  it('defers a score as PENDING on request, with the z that score() turns into the same score', () => {
    // Prepare
    const xs = series(400, 3);
    const deferred = new LikelihoodDetector(new RobustDetector({ window: 40 }), SMALL);
    const eager = new LikelihoodDetector(new RobustDetector({ window: 40 }), SMALL);
    deferred.deferScores();
    let pending = 0;
    // Act and Assess: a pending score is never negative once computed, and equals the eager one
    for (let i = 0; i < xs.length; i++) {
      const want = eager.update(i, xs[i] as number);
      const got = deferred.update(i, xs[i] as number);
      if (got === PENDING) {
        pending++;
        expect(Number.isNaN(deferred.pendingZ)).toBe(false);
        expect(Object.is(deferred.score(), want)).toBe(true);
        expect(Number.isNaN(deferred.pendingZ)).toBe(true);
      } else expect(Object.is(got, want)).toBe(true);
    }
    expect(pending).toBeGreaterThan(300);
  });

  it('writes the same JSON whether or not its last score was computed', () => {
    // Prepare
    const xs = series(300, 5);
    const deferred = new LikelihoodDetector(new RobustDetector({ window: 40 }), SMALL);
    const eager = new LikelihoodDetector(new RobustDetector({ window: 40 }), SMALL);
    deferred.deferScores();
    // Act
    for (let i = 0; i < xs.length; i++) {
      deferred.update(i, xs[i] as number);
      eager.update(i, xs[i] as number);
    }
    // Assess: prevTail is filled in from z
    expect(deferred.toJSON()).toEqual(eager.toJSON());
  });
});

describe.each(['ensemble', 'ensembleContextual'])(
  'EnsembleDetector maximum with deferred member scores (%s)',
  (preset) => {
    /** The preset's members, built eagerly (nothing deferred). */
    const defaultMembers = () => (DETECTOR_PRESETS[preset]?.members ?? []).map((m) => createDetector(m));

    /** The preset written out: every member scored, the maximum taken, 30-point rest at 0.6. */
    function referenceEnsemble(xs: readonly number[]): number[] {
      const members = defaultMembers();
      let rest = 0;
      return xs.map((x, i) => {
        let max = 0;
        for (const m of members) {
          const v = Math.max(m.update(i, x), 0);
          if (v > max) max = v;
        }
        if (rest > 0) {
          rest--;
          if (max > 0) max = 0;
          return max;
        }
        if (max >= 0.6) rest = 30;
        return max;
      });
    }

    it('gives bit-identical scores on a seasonal series (gate open) and a non-seasonal one (shut)', () => {
      for (const [seed, period, open] of [
        [1, 24, true],
        [2, 0, false],
      ] as const) {
        // Prepare
        const xs = series(2400, seed, period);
        const e = createDetector(preset);
        const gate = createDetector('seasonalGate');
        // Act
        const got = xs.map((x, i) => e.update(i, x));
        const gated = xs.map((x, i) => gate.update(i, x));
        // Assess
        expect(sameBits(got, referenceEnsemble(xs))).toBe(true);
        expect(got.some((s) => s >= 0.6)).toBe(true);
        expect(gated.some((s) => s > 0)).toBe(open);
      }
    });

    it('serialises the held votes of deferred members and resumes with the same scores', () => {
      // Prepare
      const xs = series(1500, 9);
      const whole = createDetector(preset);
      const expected = xs.map((x, i) => whole.update(i, x));
      const first = createDetector(preset) as EnsembleDetector;
      for (let i = 0; i < 1000; i++) first.update(i, xs[i] as number);
      const reference = defaultMembers();
      const last = reference.map((m) => xs.slice(0, 1000).reduce((_, x, i) => m.update(i, x), 0));
      // Act
      const json = JSON.parse(JSON.stringify(first.toJSON()));
      const restored = restoreDetector(json);
      // Assess: held = max(last member score, +0), as an eager maximum keeps it
      expect(json.state.held).toEqual(last.map((s) => Math.max(s, 0)));
      expect(
        sameBits(
          xs.slice(1000).map((x, j) => restored.update(1000 + j, x)),
          expected.slice(1000),
        ),
      ).toBe(true);
    });
  },
);

describe('EnsembleDetector without deferred scores', () => {
  it('leaves a mean ensemble and a maximum with memory computing every member score', () => {
    // Prepare
    const xs = series(600, 4);
    const build = (combine: 'mean' | 'max', decay: number) =>
      new EnsembleDetector(
        [
          new LikelihoodDetector(new RobustDetector(), SMALL),
          new LikelihoodDetector(new CusumDetector(), SMALL),
        ],
        { combine, decay },
      );
    const a = referenceLikelihood(new RobustDetector(), SMALL);
    const b = referenceLikelihood(new CusumDetector(), SMALL);
    const mean = build('mean', 0);
    // Act
    const got = xs.map((x, i) => mean.update(i, x));
    const want = xs.map((x, i) => (Math.max(a(i, x), 0) + Math.max(b(i, x), 0)) / 2);
    // Assess
    expect(sameBits(got, want)).toBe(true);
    expect(xs.every((x, i) => build('max', 0.5).update(i, x) !== PENDING)).toBe(true);
  });
});

describe('autocorrelations and detectPeriod', () => {
  it('computes every lag bit for bit as one loop per lag over the raw values', () => {
    const rng = mulberry32(5);
    for (const [n, from, to] of [
      [900, 3, 301],
      [100, 1, 60],
      [37, 2, 40],
      [20, 1, 7],
      [12, 4, 4],
    ] as const) {
      // Prepare
      const x = Array.from({ length: n }, (_, i) => Math.sin(i / 3) * 100 + normal(rng) + 1e6);
      const mean = x.reduce((s, v) => s + v, 0) / n;
      let c0 = 0;
      for (const v of x) c0 += (v - mean) * (v - mean);
      // Act
      const acf = autocorrelations(x, from, to) as Float64Array;
      // Assess: the same bits at every lag asked for (up to n - 2), zeros elsewhere
      const top = Math.min(to, n - 2);
      expect(acf.length).toBe(top + 1);
      for (let lag = 0; lag <= top; lag++) {
        let c = 0;
        for (let i = lag; i < n; i++) c += ((x[i] as number) - mean) * ((x[i - lag] as number) - mean);
        expect(Object.is(acf[lag], lag >= from ? c / c0 : 0)).toBe(true);
      }
    }
    expect(autocorrelations([4, 4, 4], 1, 2)).toBeNull();
  });

  /** One loop per lag over the raw values, as first written. */
  function referencePeriod(x: readonly number[], minLag: number, maxLag: number, minAcf: number): number {
    const n = x.length;
    const mean = x.reduce((s, v) => s + v, 0) / n;
    let c0 = 0;
    for (const v of x) c0 += (v - mean) * (v - mean);
    if (c0 === 0) return 0;
    const top = Math.min(maxLag + 1, n - 2);
    const acf = new Array<number>(top + 1).fill(0);
    for (let lag = Math.max(1, minLag - 1); lag <= top; lag++) {
      let c = 0;
      for (let i = lag; i < n; i++) c += ((x[i] as number) - mean) * ((x[i - lag] as number) - mean);
      acf[lag] = c / c0;
    }
    let best = 0;
    let bestAcf = minAcf;
    for (let lag = minLag; lag <= Math.min(maxLag, top - 1); lag++) {
      const a = acf[lag] as number;
      if (a >= bestAcf && a >= (acf[lag - 1] as number) && a >= (acf[lag + 1] as number)) {
        best = lag;
        bestAcf = a;
      }
    }
    return best;
  }

  it('picks the same period as one loop per lag, for lag counts that are and are not multiples of 8', () => {
    const rng = mulberry32(21);
    for (let trial = 0; trial < 40; trial++) {
      // Prepare: two close cycles so that peaks nearly tie, plus noise
      const n = 60 + Math.floor(rng() * 400);
      const p1 = 3 + Math.floor(rng() * 30);
      const p2 = p1 + 1 + Math.floor(rng() * 3);
      const x = Array.from(
        { length: n },
        (_, i) => Math.sin((2 * Math.PI * i) / p1) + 0.97 * Math.sin((2 * Math.PI * i) / p2) + normal(rng),
      );
      const minLag = 2 + Math.floor(rng() * 5);
      const maxLag = minLag + Math.floor(rng() * Math.max(1, n / 2 - minLag));
      // Act and Assess
      expect(detectPeriod(x, minLag, maxLag, 0.1)).toBe(referencePeriod(x, minLag, maxLag, 0.1));
    }
  });

  it('returns 0 for a constant series and for series too short to hold a lag', () => {
    expect(detectPeriod([2, 2, 2, 2, 2], 2, 3, 0.1)).toBe(0);
    expect(detectPeriod([1, 2], 2, 3, 0.1)).toBe(0);
  });
});
