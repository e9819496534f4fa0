import { describe, expect, it } from 'vitest';
import { ANALYSIS_LIMITS, parseAnalysisRequest, runAnalysis } from '../../../src/core/analytics/analysis.ts';
import { matrixProfile } from '../../../src/core/analytics/patterns/index.ts';
import { rollingVaR } from '../../../src/core/analytics/risk/index.ts';
import type { AggregatePoint, SeriesResult } from '../../../src/core/ports.ts';
import { mulberry32, normal } from '../../../src/core/random.ts';

const NOW = Date.parse('2026-11-24T12:00:00Z');
const point = (time: number, v: number): AggregatePoint => ({
  time,
  count: 1,
  sum: v,
  min: v,
  max: v,
  avg: v,
  m2: 0,
});

describe('parseAnalysisRequest', () => {
  it('fills defaults: the last 24 h, 1-minute steps, the ensemble detector at 0.5', () => {
    const r = parseAnalysisRequest({ kind: 'anomaly', metric: 'latency_ms' }, NOW);
    expect(r).toEqual({
      ok: true,
      request: {
        kind: 'anomaly',
        metric: 'latency_ms',
        from: NOW - 86_400_000,
        to: NOW,
        stepMs: 60_000,
        params: { detector: 'ensemble', threshold: 0.5 },
      },
    });
  });

  it.each([
    [{ metric: 'latency_ms' }, 'kind', 'required'],
    [{ kind: 'prophecy', metric: 'latency_ms' }, 'kind', 'enum'],
    [{ kind: 'anomaly' }, 'metric', 'required'],
    [{ kind: 'anomaly', metric: 'Latency' }, 'metric', 'pattern'],
    [{ kind: 'anomaly', metric: 'm', component: 'bad component' }, 'component', 'pattern'],
    [{ kind: 'anomaly', metric: 'm', from: 'yesterday' }, 'from', 'time'],
    [
      { kind: 'anomaly', metric: 'm', from: '2026-11-24T12:00:00Z', to: '2026-11-24T11:00:00Z' },
      'from',
      'range',
    ],
    [{ kind: 'anomaly', metric: 'm', step: '0s' }, 'step', 'duration'],
    [{ kind: 'anomaly', metric: 'm', step: '1ms' }, 'step', 'max_points'],
    [{ kind: 'anomaly', metric: 'm', params: { detector: 'magic' } }, 'params.detector', 'enum'],
    [{ kind: 'anomaly', metric: 'm', params: { threshold: 2 } }, 'params.threshold', 'range'],
    [{ kind: 'anomaly', metric: 'm', params: { horizon: 3 } }, 'params.horizon', 'unknown_key'],
    [{ kind: 'forecast', metric: 'm', params: { horizon: 0 } }, 'params.horizon', 'range'],
    [{ kind: 'forecast', metric: 'm', params: { horizon: 2.5 } }, 'params.horizon', 'type'],
    [{ kind: 'forecast', metric: 'm', params: { method: 'prophet' } }, 'params.method', 'enum'],
    [{ kind: 'forecast', metric: 'm', params: { levels: [120] } }, 'params.levels', 'type'],
    [{ kind: 'forecast', metric: 'm', extra: 1 }, 'extra', 'unknown_key'],
    [[], '(root)', 'type'],
  ])('rejects %j at %s (%s)', (body, path, rule) => {
    const r = parseAnalysisRequest(body, NOW);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors).toContainEqual(expect.objectContaining({ path, rule }));
  });

  it('reports every problem at once', () => {
    const r = parseAnalysisRequest({ kind: 'x', metric: 'X', step: 'soon', params: { threshold: -1 } }, NOW);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.map((e) => e.path)).toEqual(['kind', 'metric', 'step']);
  });
});

describe('runAnalysis', () => {
  const base = NOW - 3_600_000;
  // A noisy but steady series with one spike at minute 40.
  const values = Array.from({ length: 60 }, (_, i) => 50 + ((i * 7) % 5) - 2 + (i === 40 ? 200 : 0));
  const series: SeriesResult = {
    series: [
      {
        component: 'svc',
        metric: 'latency_ms',
        dimensions: {},
        points: values.map((v, i) => point(base + i * 60_000, v)),
      },
    ],
  };

  it('finds a planted spike and explains it against the points before it', () => {
    const r = parseAnalysisRequest(
      {
        kind: 'anomaly',
        metric: 'latency_ms',
        from: base,
        to: NOW,
        params: { detector: 'robust', threshold: 0.9 },
      },
      NOW,
    );
    if (!r.ok) throw new Error('request should be valid');
    const out = runAnalysis(r.request, series);
    const anomalies = out.series[0]!.anomalies!;
    expect(anomalies.map((a) => a.time)).toEqual([base + 40 * 60_000]);
    expect(anomalies[0]!.value).toBe(values[40]);
    expect(anomalies[0]!.explanation).toMatch(
      /robust standard deviations above the median 50 of the previous 40 points/,
    );
    expect(out.series[0]!.maxScore).toBeGreaterThanOrEqual(0.9);
  });

  it('forecasts the next steps with intervals that contain the mean, timed after the last point', () => {
    const line: SeriesResult = {
      series: [
        {
          component: 'svc',
          metric: 'm',
          dimensions: {},
          points: Array.from({ length: 30 }, (_, i) => point(base + i * 60_000, 10 + 2 * i)),
        },
      ],
    };
    const r = parseAnalysisRequest(
      { kind: 'forecast', metric: 'm', from: base, to: NOW, params: { horizon: 3, method: 'holt' } },
      NOW,
    );
    if (!r.ok) throw new Error('request should be valid');
    const f = runAnalysis(r.request, line).series[0]!.forecast!;
    expect(f.times).toEqual([base + 30 * 60_000, base + 31 * 60_000, base + 32 * 60_000]);
    f.mean.forEach((m, k) => {
      expect(m).toBeCloseTo(10 + 2 * (30 + k), 3);
      expect(f.lower['95']![k]!).toBeLessThanOrEqual(m);
      expect(f.upper['95']![k]!).toBeGreaterThanOrEqual(m);
    });
  });

  it('skips a series too short to forecast, and caps the number of series', () => {
    const many: SeriesResult = {
      series: Array.from({ length: ANALYSIS_LIMITS.maxSeries + 2 }, (_, i) => ({
        component: `c${i}`,
        metric: 'm',
        dimensions: {},
        points: [point(base, 1)],
      })),
    };
    const r = parseAnalysisRequest({ kind: 'forecast', metric: 'm', from: base, to: NOW }, NOW);
    if (!r.ok) throw new Error('request should be valid');
    const out = runAnalysis(r.request, many);
    expect(out.series).toHaveLength(ANALYSIS_LIMITS.maxSeries);
    expect(out.truncatedSeries).toBe(2);
    expect(out.series[0]!.skipped).toMatch(/needs at least 4 points/);
  });
});

describe('regimes and risk analyses', () => {
  const base = NOW - 3 * 3_600_000;
  const at = (i: number) => base + i * 60_000;

  it('labels a calm trend, a range and a volatile stretch', () => {
    // 60 points rising steadily, 60 oscillating gently, 60 swinging wildly.
    const values = [
      ...Array.from({ length: 60 }, (_, i) => 100 + i),
      ...Array.from({ length: 60 }, (_, i) => 160 + (i % 2 ? 1 : -1)),
      ...Array.from({ length: 60 }, (_, i) => 160 + (i % 2 ? 12 : -12) * (1 + (i % 5) / 4)),
    ];
    const data: SeriesResult = {
      series: [
        { component: 'svc', metric: 'm', dimensions: {}, points: values.map((v, i) => point(at(i), v)) },
      ],
    };
    const r = parseAnalysisRequest(
      { kind: 'regimes', metric: 'm', from: base, to: NOW, params: { window: 20 } },
      NOW,
    );
    if (!r.ok) throw new Error('request should be valid');
    const regimes = runAnalysis(r.request, data).series[0]!.regimes!;
    expect(regimes.windows.map((w) => w.regime)).toEqual([
      'trending',
      'trending',
      'trending',
      'ranging',
      'ranging',
      'ranging',
      'volatile',
      'volatile',
      'volatile',
    ]);
    expect(regimes.windows[0]).toMatchObject({ from: at(0), to: at(19), direction: 'up' });
  });

  it('measures VaR, EWMA volatility and the deepest drawdown of an equity curve, with times', () => {
    // Equity 100 -> 120 -> 90 -> 130: a 25 % drawdown from minute 1 to minute 2, recovered at minute 3.
    const values = [100, 120, 90, 130, 125, 128];
    const data: SeriesResult = {
      series: [
        {
          component: 'acct',
          metric: 'equity',
          dimensions: {},
          points: values.map((v, i) => point(at(i), v)),
        },
      ],
    };
    const r = parseAnalysisRequest(
      { kind: 'risk', metric: 'equity', from: base, to: NOW, params: { levels: [0.95] } },
      NOW,
    );
    if (!r.ok) throw new Error('request should be valid');
    const risk = runAnalysis(r.request, data).series[0]!.risk!;
    expect(risk.maxDrawdown).toBeCloseTo(0.25, 12);
    expect(risk.maxEpisode).toEqual({ peak: at(1), trough: at(2), recovery: at(3), depth: 0.25 });
    // The worst of the five returns is -25 %: historical VaR at 95 % lies between the two worst losses.
    expect(risk.var['0.95']!.historical).toBeGreaterThan(0.04);
    expect(risk.var['0.95']!.historical).toBeLessThanOrEqual(0.25);
    expect(risk.var['0.95']!.historicalCVaR).toBeGreaterThanOrEqual(risk.var['0.95']!.historical);
    expect(risk.ewmaVolatility).toBeGreaterThan(0);
  });

  it('risk: forecasts the next step by EWMA and filtered history, and backtests each method on the series', () => {
    // Prepare: 700 one-minute returns whose volatility jumps fourfold halfway.
    const rng = mulberry32(21);
    const returns = Array.from({ length: 700 }, (_, i) => normal(rng, 0, i < 350 ? 0.005 : 0.02));
    const from = NOW - 700 * 60_000;
    const data: SeriesResult = {
      series: [
        {
          component: 'acct',
          metric: 'ret',
          dimensions: {},
          points: returns.map((v, i) => point(from + i * 60_000, v)),
        },
      ],
    };
    const r = parseAnalysisRequest(
      {
        kind: 'risk',
        metric: 'ret',
        from,
        to: NOW,
        step: '1m',
        params: { input: 'returns', levels: [0.99] },
      },
      NOW,
    );
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    // Act
    const risk = runAnalysis(r.request, data).series[0]!.risk!;
    // Assess: the forecasts are the rolling methods' next-step values.
    const v = risk.var['0.99']!;
    const fhs = rollingVaR(returns, { method: 'filtered-historical', level: 0.99, window: 250 });
    expect(v.filteredHistorical).toBe(fhs.var[fhs.var.length - 1]);
    expect(v.filteredHistoricalCVaR).toBe(fhs.cvar[fhs.cvar.length - 1]);
    const ewma = rollingVaR(returns, { method: 'ewma', level: 0.99, window: 10 });
    expect(v.ewma).toBe(ewma.var[ewma.var.length - 1]);
    // Today's volatility is the stormy one: the conditional forecasts see it, the whole-range ones average it.
    expect(v.ewma!).toBeGreaterThan(v.normal);
    // Backtests over the 450 returns after the first 250, per method.
    expect(risk.backtestSkipped).toBeUndefined();
    const backtest = risk.backtest!['0.99']!;
    expect(Object.keys(backtest)).toEqual(['historical', 'normal', 'ewma', 'filteredHistorical']);
    for (const b of Object.values(backtest)) {
      expect(b.observations).toBe(450);
      expect(b.expected).toBeCloseTo(4.5, 12);
      expect(b.basel).toBeDefined();
    }
    // The calm-period history understates the storm; the volatility-scaled forecasts follow it.
    expect(backtest.historical!.violations).toBeGreaterThan(backtest.filteredHistorical!.violations);
    expect(backtest.historical!.kupiecPValue).toBeLessThan(0.05);
  });

  it('risk: leaves out the backtests and the filtered forecast when the series is too short for them', () => {
    const from = NOW - 30 * 60_000;
    const data: SeriesResult = {
      series: [
        {
          component: 'c',
          metric: 'm',
          dimensions: {},
          points: Array.from({ length: 15 }, (_, i) => point(from + i * 60_000, 100 + (i % 3))),
        },
      ],
    };
    const r = parseAnalysisRequest({ kind: 'risk', metric: 'm', from, to: NOW, step: '1m' }, NOW);
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    const risk = runAnalysis(r.request, data).series[0]!.risk!;
    expect(risk.backtest).toBeNull();
    expect(risk.backtestSkipped).toBe(
      'the backtests need at least window + 100 = 350 returns, the series has 14',
    );
    expect(risk.var['0.95']!.filteredHistorical).toBeNull();
    expect(risk.var['0.95']!.ewma).toBeGreaterThan(0);
  });

  it('skips a series that is no equity curve, and validates the params', () => {
    const data: SeriesResult = {
      series: [
        { component: 'c', metric: 'm', dimensions: {}, points: [0, -1, 2, 3].map((v, i) => point(at(i), v)) },
      ],
    };
    const r = parseAnalysisRequest({ kind: 'risk', metric: 'm', from: base, to: NOW }, NOW);
    if (!r.ok) throw new Error('request should be valid');
    expect(runAnalysis(r.request, data).series[0]!.skipped).toMatch(/must stay above 0/);
    const bad = parseAnalysisRequest(
      { kind: 'risk', metric: 'm', params: { input: 'prices', levels: [1.5], lambda: 2, window: 5 } },
      NOW,
    );
    expect(bad.ok).toBe(false);
    if (!bad.ok)
      expect(bad.errors.map((e) => e.path)).toEqual([
        'params.input',
        'params.levels',
        'params.lambda',
        'params.window',
      ]);
  });
});

describe('stats, trend, seasonality and change-point analyses', () => {
  const base = NOW - 6 * 3_600_000;
  const at = (i: number) => base + i * 60_000;
  const run = (body: Record<string, unknown>, values: number[]) => {
    const r = parseAnalysisRequest({ metric: 'm', from: base, to: NOW, step: '1m', ...body }, NOW);
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    const data: SeriesResult = {
      series: [
        { component: 'c', metric: 'm', dimensions: {}, points: values.map((v, i) => point(at(i), v)) },
      ],
    };
    return runAnalysis(r.request, data).series[0]!;
  };

  it('stats: exact raw figures from the aggregates, quantiles over the steps', () => {
    const s = run({ kind: 'stats', params: { quantiles: [0.5] } }, [1, 2, 3, 4, 5]).stats!;
    expect(s.raw).toEqual({ count: 5, mean: 3, min: 1, max: 5, variance: 2.5, stdDev: Math.sqrt(2.5) });
    expect(s.overSteps.variance).toBeCloseTo(2.5, 12);
    expect(s.overSteps.quantiles!['0.5']!).toBeCloseTo(3, 1);
  });

  it('trend: a steady climb of 2 per minute is increasing with slopes of 2 per step', () => {
    const t = run(
      { kind: 'trend' },
      Array.from({ length: 30 }, (_, i) => 10 + 2 * i + (i % 2 ? 0.5 : -0.5)),
    ).trend!;
    expect(t.direction).toBe('increasing');
    expect(t.linear.slopePerStep).toBeCloseTo(2, 1);
    expect(t.mannKendall.senSlopePerStep).toBeCloseTo(2, 1);
    expect(t.linear.slopeIntervalPerStep[0]).toBeLessThan(2);
    expect(t.linear.slopeIntervalPerStep[1]).toBeGreaterThan(2);
  });

  it('seasonality: finds a 12-step cycle and reports it in ms', () => {
    const values = Array.from(
      { length: 120 },
      (_, i) => 50 + 10 * Math.sin((2 * Math.PI * i) / 12) + ((i * 37) % 7) / 7,
    );
    const s = run({ kind: 'seasonality' }, values).seasonality!;
    expect(s.period).toBe(12);
    expect(s.periodMs).toBe(12 * 60_000);
  });

  it('changepoints: a level shift is found at its time, and becomes a TrendChanged event', async () => {
    const values = Array.from({ length: 80 }, (_, i) => (i < 50 ? 20 : 35) + ((i * 7919) % 11) / 11);
    const c = run({ kind: 'changepoints' }, values).changepoints!;
    expect(c.changePoints.map((p) => p.time)).toEqual([at(50)]);
    expect(c.segments.map((g) => g.points)).toEqual([50, 30]);
    const { eventsOf } = await import('../../../src/core/analytics/service.ts');
    const events = eventsOf(
      {
        id: 'an-1',
        kind: 'changepoints',
        request: {
          kind: 'changepoints',
          metric: 'm',
          from: '',
          to: '',
          stepMs: 60_000,
          params: { method: 'auto', cost: 'meanvar', penalty: 'bic' },
        },
        createdAt: '',
        durationMs: 0,
        events: 0,
        truncatedSeries: 0,
        series: [{ component: 'c', dimensions: {}, points: 80, changepoints: c }],
      },
      NOW,
    );
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      detailType: 'TrendChanged',
      detail: { changedAt: new Date(at(50)).toISOString(), changePoints: 1 },
    });
    expect((events[0]!.detail as { after: { mean: number } }).after.mean).toBeGreaterThan(34);
  });

  it('risk: a drawdown past the limit becomes a RiskLimitBreached event', async () => {
    const s = run({ kind: 'risk', params: { maxDrawdown: 0.1 } }, [100, 120, 90, 130, 125, 128]);
    const { eventsOf } = await import('../../../src/core/analytics/service.ts');
    const events = eventsOf(
      {
        id: 'an-2',
        kind: 'risk',
        request: {
          kind: 'risk',
          metric: 'm',
          from: '',
          to: '',
          stepMs: 60_000,
          params: { input: 'equity', levels: [0.95], lambda: 0.94, maxDrawdown: 0.1, window: 250 },
        },
        createdAt: '',
        durationMs: 0,
        events: 0,
        truncatedSeries: 0,
        series: [s],
      },
      NOW,
    );
    expect(events.map((e) => e.detailType)).toEqual(['RiskLimitBreached']);
    expect(events[0]!.detail).toMatchObject({ rule: 'max_drawdown', limit: 0.1 });
    expect((events[0]!.detail as { actual: number }).actual).toBeCloseTo(0.25, 12);
  });
});

describe('motifs analysis', () => {
  const base = NOW - 6 * 3_600_000;
  const at = (i: number) => base + i * 60_000;

  it('finds a repeated shape as the top motif, and reports motifs and discords at their step times', () => {
    // Seeded noise (it never repeats itself), the same spike shape planted at 40 and 140, an odd square at 90.
    const rng = mulberry32(7);
    const values = Array.from({ length: 200 }, () => 0.3 * normal(rng));
    const shape = [0, 3, 8, 3, 0, -2, 0, 1];
    shape.forEach((v, k) => {
      values[40 + k] = values[40 + k]! + v;
      values[140 + k] = values[140 + k]! + v;
    });
    for (let k = 0; k < 8; k++) values[90 + k] = k % 2 ? 6 : -6;
    const r = parseAnalysisRequest(
      { kind: 'motifs', metric: 'm', from: base, to: NOW, step: '1m', params: { m: 8, k: 1 } },
      NOW,
    );
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    const data: SeriesResult = {
      series: [
        { component: 'c', metric: 'm', dimensions: {}, points: values.map((v, i) => point(at(i), v)) },
      ],
    };
    const m = runAnalysis(r.request, data).series[0]!.motifs!;
    // The best-matching windows overlap the planted shape, in the same place in both copies.
    const [first, second] = [m.motifs[0]!.time, m.motifs[0]!.neighborTime].sort((a, b) => a - b) as [
      number,
      number,
    ];
    expect(second - first).toBe(100 * 60_000);
    expect(Math.abs(first - at(40))).toBeLessThan(8 * 60_000);
    // The wiring maps the matrix profile's indices to step times.
    const direct = matrixProfile(values, 8, { k: 1 });
    expect(m.discords).toEqual(
      direct.discords.map((d) => ({ time: at(d.index), neighborTime: at(d.neighbor), distance: d.distance })),
    );
  });

  it('requires m and caps the range it will scan', () => {
    const r = parseAnalysisRequest(
      { kind: 'motifs', metric: 'm', from: NOW - 30 * 86_400_000, to: NOW, step: '1m' },
      NOW,
    );
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.errors.map((e) => `${e.path}:${e.rule}`)).toEqual(['params.m:required', 'step:max_points']);
  });
});

describe('correlation analysis', () => {
  const base = NOW - 6 * 3_600_000;
  const at = (i: number) => base + i * 60_000;

  it('finds that one metric leads another by three steps, on aligned steps and differenced values', () => {
    // a is a random walk; b repeats a three minutes later. b misses one step, which drops it from both.
    const rng = mulberry32(11);
    const a: number[] = [];
    let x = 100;
    for (let i = 0; i < 200; i++) {
      x += normal(rng);
      a.push(x);
    }
    const b = a.map((_, i) => (i >= 3 ? a[i - 3]! : 100));
    const series = (values: number[], skip?: number) =>
      values.map((v, i) => point(at(i), v)).filter((_, i) => i !== skip);
    const data: SeriesResult = {
      series: [{ component: 'engine', metric: 'a', dimensions: {}, points: series(a) }],
    };
    const other: SeriesResult = {
      series: [{ component: 'trading', metric: 'b', dimensions: {}, points: series(b, 120) }],
    };
    const r = parseAnalysisRequest(
      {
        kind: 'correlation',
        metric: 'a',
        from: base,
        to: NOW,
        step: '1m',
        params: { with: { metric: 'b' }, maxLag: 10 },
      },
      NOW,
    );
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    // Act
    const c = runAnalysis(r.request, data, other).series[0]!.correlation!;
    // Assess
    expect(c.bestLag).toBe(3);
    expect(c.bestLagMs).toBe(3 * 60_000);
    expect(c.significant).toBe(true);
    expect(c.bestCorrelation).toBeGreaterThan(0.9);
    expect(c.with.component).toBe('trading');
    expect(c.n).toBe(198); // 199 shared steps, differenced
  });

  it('names the second selector when it is missing or malformed, and skips when nothing matches', () => {
    const bad = parseAnalysisRequest(
      { kind: 'correlation', metric: 'a', params: { with: { metric: 'Bad' }, maxLag: -1 } },
      NOW,
    );
    expect(bad.ok).toBe(false);
    if (!bad.ok)
      expect(bad.errors.map((e) => `${e.path}:${e.rule}`)).toEqual([
        'params.with.metric:pattern',
        'params.maxLag:range',
      ]);
    const missing = parseAnalysisRequest({ kind: 'correlation', metric: 'a' }, NOW);
    expect(!missing.ok && missing.errors[0]).toMatchObject({ path: 'params.with', rule: 'required' });
    const ok = parseAnalysisRequest(
      { kind: 'correlation', metric: 'a', from: base, to: NOW, params: { with: { metric: 'b' } } },
      NOW,
    );
    if (!ok.ok) throw new Error('valid');
    const data: SeriesResult = {
      series: [{ component: 'c', metric: 'a', dimensions: {}, points: [point(at(0), 1)] }],
    };
    expect(runAnalysis(ok.request, data, { series: [] }).series[0]!.skipped).toMatch(/no series matches b/);
  });
});
