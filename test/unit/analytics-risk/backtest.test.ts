import { describe, expect, it } from 'vitest';
import {
  backtestVaR,
  baselZone,
  ewmaVolatility,
  historicalCVaR,
  historicalVaR,
  independenceTest,
  kupiecTest,
  parametricCVaR,
  parametricVaR,
  RiskInputError,
  rollingVaR,
} from '../../../src/core/analytics/risk/index.ts';
import { chiSquareSurvival, normalQuantile } from '../../../src/core/analytics/stats/distributions.ts';
import { mulberry32, normal } from '../../../src/core/random.ts';

const iidNormal = (n: number, sd: number, seed: number): number[] => {
  const rng = mulberry32(seed);
  return Array.from({ length: n }, () => normal(rng, 0, sd));
};

/** GARCH(1,1) returns: calm and stormy spells, the clustering that unconditional VaR misses. */
const garch = (n: number, seed: number, a = 0.1, b = 0.88): number[] => {
  const rng = mulberry32(seed);
  const omega = 2e-6;
  let v = omega / (1 - a - b);
  const out: number[] = [];
  for (let t = 0; t < n; t++) {
    const r = Math.sqrt(v) * normal(rng);
    out.push(r);
    v = omega + a * r * r + b * v;
  }
  return out;
};

describe('chiSquareSurvival', () => {
  it('gives 0.05 at the textbook critical values and matches SciPy elsewhere', () => {
    // Prepare: critical values at 5 % for 1-4 and 10 degrees of freedom; SciPy 1.10 chi2.sf values.
    // Act / Assess
    expect(chiSquareSurvival(3.841458820694124, 1)).toBeCloseTo(0.05, 12);
    expect(chiSquareSurvival(5.991464547107979, 2)).toBeCloseTo(0.05, 12);
    expect(chiSquareSurvival(7.814727903251179, 3)).toBeCloseTo(0.05, 12);
    expect(chiSquareSurvival(9.487729036781154, 4)).toBeCloseTo(0.05, 12);
    expect(chiSquareSurvival(18.307038053275146, 10)).toBeCloseTo(0.05, 12);
    expect(chiSquareSurvival(7, 5)).toBeCloseTo(0.22064030793671066, 12);
    expect(chiSquareSurvival(0.5, 7)).toBeCloseTo(0.9994464813904249, 12);
    expect(chiSquareSurvival(40, 10) / 1.694474393006737e-5).toBeCloseTo(1, 10);
    expect(chiSquareSurvival(0, 3)).toBe(1);
    expect(() => chiSquareSurvival(1, 0)).toThrow(/df must be > 0/);
  });
});

describe('historicalVaR with the type-6 quantile', () => {
  it('reads the order statistics at (n + 1)p, clamped to the sample', () => {
    // Prepare: five returns; at p = 0.2 the 0-based position is 6·0.2 − 1 = 0.2.
    const x = [0.03, -0.05, 0.01, -0.02, 0.02];
    // Act / Assess: −(−0.05 + 0.2·0.03); below the smallest return's position, the smallest return.
    expect(historicalVaR(x, 0.8, { quantile: 'weibull' })).toBeCloseTo(0.044, 15);
    expect(historicalVaR(x, 0.99, { quantile: 'weibull' })).toBe(0.05);
    expect(historicalCVaR(x, 0.8, { quantile: 'weibull' })).toBeCloseTo(0.05, 15);
    expect(() => historicalVaR(x, 0.8, { quantile: 'nearest' as never })).toThrow(
      /quantile must be 'linear', 'lower' or 'weibull', got nearest/,
    );
  });
});

describe('kupiecTest', () => {
  it('computes the proportion-of-failures statistic by hand', () => {
    // Prepare: 10 violations in 250 days at 1 %.
    // Act
    const t = kupiecTest(10, 250, 0.01);
    // Assess: -2 ln[(0.99^240 0.01^10) / (0.96^240 0.04^10)]
    expect(t.lr).toBeCloseTo(12.955491062356018, 10);
    expect(t.pValue).toBeCloseTo(0.0003189845082133835, 12);
  });

  it('gives LR 0 and p 1 at exactly the expected count, and handles no violations', () => {
    expect(kupiecTest(10, 1000, 0.01)).toEqual({ lr: 0, pValue: 1 });
    expect(kupiecTest(0, 1000, 0.05).lr).toBeCloseTo(102.58658877510116, 9);
  });

  it('rejects impossible counts naming the argument', () => {
    expect(() => kupiecTest(5, 4, 0.01)).toThrow(/violations must be an integer in \[0, n = 4\]/);
    expect(() => kupiecTest(1, 0, 0.01)).toThrow(/n must be an integer >= 1/);
    expect(() => kupiecTest(1, 10, 1)).toThrow(/p must be in \(0, 1\)/);
  });
});

describe('independenceTest', () => {
  it("computes Christoffersen's statistic from the transition counts", () => {
    // Prepare: a cluster of three violations; transitions n00 7, n01 1, n10 1, n11 2.
    // Act
    const t = independenceTest([0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0]);
    // Assess
    expect(t.lr).toBeCloseTo(3.0435500128062536, 10);
    expect(t.pValue).toBeCloseTo(0.08105847219289397, 10);
  });

  it('sees no dependence when a violation is as likely after a violation as after none', () => {
    expect(independenceTest([0, 0, 1, 1, 0, 0, 0, 1, 0, 0]).lr).toBeCloseTo(0, 12);
    expect(independenceTest([0, 0, 0, 0]).lr).toBe(0);
  });
});

describe('baselZone', () => {
  it('follows the traffic light: green to 4, yellow 5 to 9, red from 10', () => {
    expect([0, 4, 5, 9, 10, 30].map(baselZone)).toEqual(['green', 'green', 'yellow', 'yellow', 'red', 'red']);
  });
});

describe('rollingVaR', () => {
  const returns = garch(700, 7);

  const W = { quantile: 'weibull' } as const;

  it('historical forecasts equal the type-6 historicalVaR/CVaR of each past window exactly', () => {
    // Act
    const f = rollingVaR(returns, { method: 'historical', level: 0.95, window: 250 });
    // Assess
    expect(f.start).toBe(250);
    expect(f.var.length).toBe(returns.length - 250 + 1);
    for (const t of [250, 251, 400, 699, 700]) {
      const past = returns.slice(t - 250, t);
      expect(f.var[t - 250]).toBe(historicalVaR(past, 0.95, W));
      expect(f.cvar[t - 250]).toBeCloseTo(historicalCVaR(past, 0.95, W), 15);
    }
  });

  it('normal and Cornish-Fisher forecasts equal the parametric estimates of each past window', () => {
    for (const method of ['normal', 'cornish-fisher'] as const) {
      const f = rollingVaR(returns, { method, level: 0.99, window: 100 });
      for (const t of [100, 333, 700]) {
        const past = returns.slice(t - 100, t);
        expect(f.var[t - 100]).toBe(parametricVaR(past, 0.99, { distribution: method }));
        expect(f.cvar[t - 100]).toBe(parametricCVaR(past, 0.99, { distribution: method }));
      }
    }
  });

  it('ewma forecasts are the RiskMetrics normal quantile of the EWMA volatility of the returns before', () => {
    // Act
    const f = rollingVaR(returns, { method: 'ewma', level: 0.99, window: 50, lambda: 0.97 });
    // Assess: the EWMA of returns[0..t) ends in the forecast for t.
    const z = normalQuantile(0.01);
    for (const t of [50, 51, 500, 700]) {
      const sd = ewmaVolatility(returns.slice(0, t), 0.97).latest;
      expect(f.var[t - 50]).toBeCloseTo(-z * sd, 15);
      expect(f.cvar[t - 50]).toBeCloseTo((sd * Math.exp(-0.5 * z * z)) / Math.sqrt(2 * Math.PI) / 0.01, 15);
    }
  });

  it('filtered historical simulation rescales the quantile of volatility-standardised returns', () => {
    // Prepare: the standardised returns by brute force.
    const sd = (t: number) => ewmaVolatility(returns.slice(0, t), 0.94).latest;
    const standardised = returns.map((r, t) => r / (t >= 30 ? sd(t) : Number.NaN));
    // Act
    const f = rollingVaR(returns, { method: 'filtered-historical', level: 0.975, window: 200 });
    // Assess (from t = 230 on, every standardised return in the window is past the 30-return warm-up)
    for (const t of [230, 450, 700]) {
      const past = standardised.slice(t - 200, t);
      expect(f.var[t - 200]).toBeCloseTo(historicalVaR(past, 0.975, W) * sd(t), 14);
      expect(f.cvar[t - 200]).toBeCloseTo(historicalCVaR(past, 0.975, W) * sd(t), 14);
    }
  });

  it('rejects bad options naming the field and the rule', () => {
    expect(() => rollingVaR(returns, { method: 'garch' as never, level: 0.99 })).toThrow(
      /method must be one of historical, normal, cornish-fisher, ewma, filtered-historical/,
    );
    expect(() => rollingVaR(returns, { method: 'normal', level: 99 })).toThrow(/level must be a fraction/);
    expect(() => rollingVaR(returns, { method: 'normal', level: 0.99, window: 5 })).toThrow(
      /window must be an integer >= 10/,
    );
    expect(() => rollingVaR(returns, { method: 'ewma', level: 0.99, lambda: 1 })).toThrow(/lambda must be/);
    expect(() => rollingVaR(returns.slice(0, 20), { method: 'normal', level: 0.99 })).toThrow(
      /returns must hold at least 250 values, got 20/,
    );
    expect(() =>
      rollingVaR([...returns.slice(0, 300), Number.NaN], { method: 'normal', level: 0.9 }),
    ).toThrow(RiskInputError);
  });
});

describe('backtestVaR', () => {
  it('passes a correct model: normal VaR on normal returns', () => {
    // Prepare
    const returns = iidNormal(6000, 0.01, 11);
    const f = rollingVaR(returns, { method: 'normal', level: 0.99, window: 500 });
    // Act
    const b = backtestVaR(returns, f);
    // Assess: about 1 % violations, no test rejects, CVaR right on average.
    expect(b.observations).toBe(5500);
    expect(b.expected).toBeCloseTo(55, 9);
    expect(b.rate).toBeGreaterThan(0.007);
    expect(b.rate).toBeLessThan(0.013);
    expect(b.kupiec.pValue).toBeGreaterThan(0.05);
    expect(b.independence.pValue).toBeGreaterThan(0.05);
    expect(Math.abs(b.esZ2)).toBeLessThan(0.25);
  });

  it('catches clustered violations of unconditional VaR that a volatility-updated VaR avoids', () => {
    // Prepare: GARCH returns, both methods tested on the same periods.
    const returns = garch(8000, 2, 0.15, 0.84);
    const hs = backtestVaR(returns, rollingVaR(returns, { method: 'historical', level: 0.99, window: 250 }));
    const fhs = backtestVaR(
      returns,
      rollingVaR(returns, { method: 'filtered-historical', level: 0.99, window: 250 }),
    );
    // Assess: historical simulation's violations come in storms; filtered history's do not.
    expect(hs.independence.pValue).toBeLessThan(0.01);
    expect(hs.conditionalCoverage.pValue).toBeLessThan(0.01);
    expect(fhs.independence.pValue).toBeGreaterThan(0.05);
    expect(fhs.conditionalCoverage.pValue).toBeGreaterThan(0.05);
    expect(fhs.observations).toBe(hs.observations);
  });

  it('makes Z2 negative when the CVaR understates the tail', () => {
    // Prepare: Student-t-like fat tails (a normal scale mixture) forecast with a normal model.
    const rng = mulberry32(5);
    const returns = Array.from({ length: 6000 }, () => normal(rng, 0, rng() < 0.1 ? 0.03 : 0.008));
    // Act
    const b = backtestVaR(returns, rollingVaR(returns, { method: 'normal', level: 0.99, window: 500 }));
    // Assess
    expect(b.esZ2).toBeLessThan(-0.3);
    expect(b.kupiec.pValue).toBeLessThan(0.05);
  });

  it('puts the last 250 periods of 99 % VaR in the Basel zone of their violation count', () => {
    // Prepare: a flat 2 % VaR over 300 periods; k losses of 5 % among the last 250, one more before them.
    const forecasts = (n: number) => ({
      method: 'normal' as const,
      level: 0.99,
      start: 0,
      var: new Float64Array(n + 1).fill(0.02),
      cvar: new Float64Array(n + 1).fill(0.03),
    });
    const zone = (k: number) => {
      const returns = Array.from({ length: 300 }, (_, t) =>
        t === 10 || (t >= 50 && t < 50 + k) ? -0.05 : 0,
      );
      return backtestVaR(returns, forecasts(300)).basel;
    };
    // Act / Assess
    expect([4, 5, 9, 10].map(zone)).toEqual(['green', 'yellow', 'yellow', 'red']);
    expect(backtestVaR(Array(300).fill(-0.025), forecasts(300)).violations).toBe(300);
  });

  it('reports no Basel zone except for 99 % VaR over at least 250 periods', () => {
    const returns = iidNormal(400, 0.01, 2);
    expect(backtestVaR(returns, rollingVaR(returns, { method: 'ewma', level: 0.95 })).basel).toBeUndefined();
    expect(backtestVaR(returns, rollingVaR(returns, { method: 'ewma', level: 0.99 })).basel).toBeUndefined();
  });

  it('refuses forecasts made over other returns', () => {
    const returns = iidNormal(400, 0.01, 2);
    const f = rollingVaR(returns, { method: 'ewma', level: 0.99, window: 100 });
    expect(() => backtestVaR(returns.slice(0, 300), f)).toThrow(/expected 201 forecasts, got 301/);
    const edge = rollingVaR(returns.slice(0, 100), { method: 'ewma', level: 0.99, window: 100 });
    expect(() => backtestVaR(returns.slice(0, 100), edge)).toThrow(/at least 1 period/);
  });
});
