import { describe, expect, it } from 'vitest';
import { ACCOUNT_TARGETS, BASELINE_PARAMS, computeMetrics } from '../../../src/core/backtest/index.ts';
import type { TrialRecord } from '../../../src/core/optimise/index.ts';
import {
  accountSpace,
  pickParetoPoint,
  TuningError,
  type WalkForwardInput,
  type WalkForwardWindow,
  walkForward,
} from '../../../src/core/tuning/index.ts';
import { MARKET, syntheticMarket } from './fixtures.ts';

// 50 warm-up days (realised-vol model) + 250 days = 50 usable weeks: IS 12, OOS 8 → 5 windows.
const { bars, vix } = syntheticMarket(300, 7);
const BASE: WalkForwardInput = {
  bars,
  vix,
  account: 'REV',
  market: MARKET,
  isWeeks: 12,
  oosWeeks: 8,
  trials: 6,
  seed: 3,
  pboPartitions: 4,
};

describe('walkForward: layout and stitching', () => {
  it('tiles the OOS segments after each IS and stitches them', () => {
    // Act
    const r = walkForward(BASE);
    // Assess: (50 − 12) / 8 → windows end their IS at weeks 12, 20, 28, 36, 44; the last OOS has 6 weeks.
    expect(r.windows.map((w) => w.oosWeeks)).toEqual([8, 8, 8, 8, 6]);
    expect(r.windows.every((w) => w.isWeeks === 12)).toBe(true);
    for (let i = 1; i < r.windows.length; i++) {
      const prev = r.windows[i - 1] as WalkForwardWindow;
      const w = r.windows[i] as WalkForwardWindow;
      expect(w.isFrom > prev.isFrom).toBe(true);
      expect(w.oosFrom > prev.oosTo).toBe(true);
    }
    for (const w of r.windows) expect(w.oosFrom > w.isTo).toBe(true);
    expect(r.oos.tuned).toEqual(r.windows.flatMap((w) => w.oosReturns));
    expect(r.oos.baseline).toEqual(r.windows.flatMap((w) => w.baselineOosReturns));
    expect(r.oos.weeks).toHaveLength(38);
    expect(r.tunedMetrics.weeks).toBe(38);
    expect(r.baselineMetrics.weeks).toBe(38);
    // Equity is carried across segments: the stitched curve compounds the weekly returns.
    const growth = r.oos.tuned.reduce((g, x) => g * (1 + x), 1);
    expect((r.oos.tunedEquity.at(-1) as number) / 100_000).toBeCloseTo(growth, 9);
    expect(r.tunedMetrics.sharpe).toBeCloseTo(computeMetrics(r.oos.tuned).sharpe, 12);
  });

  it('warm (default) and flat OOS state: same weeks, same tuning, equity carried either way', () => {
    const flat = walkForward({ ...BASE, oosState: 'flat' });
    const warm = walkForward(BASE);
    expect(warm.oosState).toBe('warm');
    expect(warm.oos.weeks).toEqual(flat.oos.weeks);
    // The tuning itself does not depend on how OOS segments start.
    expect(warm.windows.map((w) => w.tuned)).toEqual(flat.windows.map((w) => w.tuned));
    for (const r of [flat, warm]) {
      const growth = r.oos.tuned.reduce((g, x) => g * (1 + x), 1);
      expect((r.oos.tunedEquity.at(-1) as number) / 100_000).toBeCloseTo(growth, 9);
    }
    // The restart in cash changes the baseline path.
    expect(flat.oos.baseline).not.toEqual(warm.oos.baseline);
    expect(() => walkForward({ ...BASE, oosState: 'hot' as 'warm' })).toThrow(
      /oosState must be one of flat, warm/,
    );
  });

  it('anchored windows keep the IS start and grow it', () => {
    const r = walkForward({ ...BASE, mode: 'anchored' });
    expect(new Set(r.windows.map((w) => w.isFrom)).size).toBe(1);
    expect(r.windows.map((w) => w.isWeeks)).toEqual([12, 20, 28, 36, 44]);
  });

  it('enqueues the baseline first, so the IS choice is at least as good as the baseline in sample', () => {
    const r = walkForward(BASE);
    for (const w of r.windows) expect(w.isSharpe).toBeGreaterThanOrEqual(w.baselineIsSharpe - 1e-12);
    expect(r.baselineParams).toEqual(BASELINE_PARAMS.REV);
  });

  it('enqueues the baseline and then the previous choice: with 2 trials a window picks one of them', () => {
    // Window 0 tries the baseline and one sampled point; a later window tries the baseline and the previous
    // choice (a sampled point instead when the previous choice was the baseline).
    const r = walkForward({ ...BASE, trials: 2 });
    const base: Record<string, number> = {};
    for (const k of Object.keys(accountSpace('REV')))
      base[k] = (BASELINE_PARAMS.REV as unknown as Record<string, number>)[k] as number;
    let checked = 0;
    for (let i = 1; i < r.windows.length; i++) {
      const prev = r.windows[i - 1]?.tuned;
      if (JSON.stringify(prev) === JSON.stringify(base)) continue;
      expect([base, prev]).toContainEqual(r.windows[i]?.tuned);
      checked++;
    }
    expect(checked).toBeGreaterThan(0);
    expect(r.windows.some((w) => JSON.stringify(w.tuned) === JSON.stringify(base))).toBe(true);
  });

  it('reports diagnostics in range and calls back after every window', () => {
    const seen: number[] = [];
    const r = walkForward({ ...BASE, onProgress: (p) => seen.push(p.window * 100 + p.windows) });
    expect(seen).toEqual([105, 205, 305, 405, 505]);
    for (const w of r.windows) {
      expect(w.dsr).toBeGreaterThanOrEqual(0);
      expect(w.dsr).toBeLessThanOrEqual(1);
      expect(w.pbo).toBeGreaterThanOrEqual(0);
      expect(w.pbo).toBeLessThanOrEqual(1);
      expect(w.gap).toBeCloseTo(w.isSharpe - w.oosSharpe, 12);
      expect(w.completeTrials + w.failedTrials).toBe(6);
    }
    expect(r.diagnostics.stability.mean).toBeGreaterThanOrEqual(0);
    expect(Object.keys(r.diagnostics.stability.perParam)).toEqual(Object.keys(accountSpace('REV')));
  });

  it('nsga2 picks a Pareto point within the drawdown limit when one exists', () => {
    const r = walkForward({ ...BASE, sampler: 'nsga2', trials: 10 });
    expect(r.sampler).toBe('nsga2');
    for (const w of r.windows) expect(w.isScore).toBe(w.isSharpe);
  });

  it('the Pareto pick: best Sharpe within the drawdown limit, else the smallest drawdown', () => {
    // Prepare: three front points (return up, drawdown up).
    const t = (n: number): TrialRecord => ({
      number: n,
      state: 'complete',
      params: {},
      intermediate: [],
      attrs: {},
    });
    const m: Record<number, { sharpe: number; maxDrawdown: number }> = {
      0: { sharpe: 0.8, maxDrawdown: 0.05 },
      1: { sharpe: 1.1, maxDrawdown: 0.09 },
      2: { sharpe: 1.5, maxDrawdown: 0.2 },
    };
    const front = [t(0), t(1), t(2)];
    const of = (x: TrialRecord) => m[x.number] as { sharpe: number; maxDrawdown: number };
    // Act / Assess
    expect(pickParetoPoint(front, of, ACCOUNT_TARGETS.REV.maxDrawdown)?.number).toBe(1);
    expect(pickParetoPoint(front, of, 0.3)?.number).toBe(2);
    expect(pickParetoPoint(front, of, 0.01)?.number).toBe(0);
    expect(pickParetoPoint([], of, 0.1)).toBeUndefined();
  });
});

describe('walkForward: determinism and look-ahead', () => {
  it('gives identical results for the same seed, different ones for another seed', () => {
    const a = walkForward(BASE);
    const b = walkForward(BASE);
    const c = walkForward({ ...BASE, seed: 4 });
    expect(b.windows.map((w) => w.tuned)).toEqual(a.windows.map((w) => w.tuned));
    expect(b.oos.tuned).toEqual(a.oos.tuned);
    expect(b.diagnostics).toEqual(a.diagnostics);
    expect(c.windows.map((w) => w.tuned)).not.toEqual(a.windows.map((w) => w.tuned));
  });

  it('never lets a window see bars after its in-sample: mutating them leaves the choice unchanged', () => {
    // Prepare: the third window's IS ends on w.isTo; replace every later bar with a different path.
    const a = walkForward(BASE);
    const cut = a.windows[2]?.isTo as string;
    const other = syntheticMarket(300, 99);
    const k = bars.findIndex((b) => b.date > cut);
    const scale = (bars[k - 1]?.close as number) / (other.bars[k - 1]?.close as number);
    const mutatedBars = bars.map((b, i) =>
      i < k
        ? b
        : {
            ...b,
            open: (other.bars[i]?.open as number) * scale,
            high: (other.bars[i]?.high as number) * scale,
            low: (other.bars[i]?.low as number) * scale,
            close: (other.bars[i]?.close as number) * scale,
          },
    );
    const mutatedVix = vix.map((v, i) => (i < k ? v : (other.vix[i] as number)));
    // Act
    const b = walkForward({ ...BASE, bars: mutatedBars, vix: mutatedVix });
    // Assess: windows 0-2 chose the same parameters on the same IS evidence; window 2's OOS did change.
    for (const i of [0, 1, 2]) {
      expect(b.windows[i]?.tuned).toEqual(a.windows[i]?.tuned);
      expect(b.windows[i]?.isSharpe).toBe(a.windows[i]?.isSharpe);
    }
    expect(b.windows[2]?.oosReturns).not.toEqual(a.windows[2]?.oosReturns);
    expect(b.windows[1]?.oosReturns).toEqual(a.windows[1]?.oosReturns);
  });
});

describe('walkForward: bad input', () => {
  it.each([
    [{ isWeeks: 3 }, /isWeeks must be an integer >= 4, got 3/],
    [{ oosWeeks: 1.5 }, /oosWeeks must be an integer >= 2/],
    [{ trials: 1 }, /trials must be an integer >= 2/],
    [{ sampler: 'cmaes' }, /sampler must be one of tpe, nsga2, random, got cmaes/],
    [{ objective: 'cagr' }, /objective must be one of sharpe, sortino, calmar/],
    [{ mode: 'expanding' }, /mode must be one of rolling, anchored/],
    [{ account: 'XYZ' }, /account must be one of GEN, REV, COM, got XYZ/],
    [{ pboPartitions: 5 }, /pboPartitions must be even/],
    [{ vix: [20, 21] }, /vix must have one value per bar \(300\), got 2/],
    [{ isWeeks: 60 }, /bars: 50 usable weeks after the 50-day warm-up, need at least isWeeks \+ 2 = 62/],
    [
      { space: { notAParam: { type: 'float', low: 0, high: 1 } } },
      /space\.notAParam is not a protocol parameter/,
    ],
  ])('%o → %s', (patch, message) => {
    expect(() => walkForward({ ...BASE, ...(patch as Partial<WalkForwardInput>) })).toThrow(TuningError);
    expect(() => walkForward({ ...BASE, ...(patch as Partial<WalkForwardInput>) })).toThrow(message);
  });

  it('narrows the delta range to the account', () => {
    const s = accountSpace('GEN');
    expect(s.deltaMin).toMatchObject({ low: 0.3, high: 0.5 });
    expect(s.deltaMax).toMatchObject({ low: 0.4, high: 0.6 });
    expect(() => accountSpace('GEN', 0)).toThrow(/width must be > 0/);
  });
});
