import { describe, expect, it } from 'vitest';
import { BASELINE_PARAMS, computeMetrics, type ProtocolParams } from '../../../src/core/backtest/index.ts';
import { mulberry32, normal } from '../../../src/core/random.ts';
import {
  AUTOMATIC_APPROVER,
  accountSpace,
  appliesAutomatically,
  oversightTier,
  type ParameterProposal,
  pairedBootstrap,
  parametersApprovedEvent,
  parametersApprovedSchema,
  parametersProposedEvent,
  parametersProposedSchema,
  proposeParameters,
  TUNING_DETAIL_TYPES,
  TuningError,
  type WalkForwardResult,
  type WalkForwardWindow,
} from '../../../src/core/tuning/index.ts';

const SPACE = accountSpace('REV');

/** A hand-made walk-forward result: stitched OOS returns, per-window choices, a PBO. */
function fakeResult(
  tuned: number[],
  baseline: number[],
  opts: { pbo?: number; choices?: Array<Partial<ProtocolParams>> } = {},
): WalkForwardResult {
  const base = BASELINE_PARAMS.REV;
  const choices = opts.choices ?? [{ profitTakePct: 0.65 }];
  const windows = choices.map((c, index) => {
    const params = { ...base, ...c };
    const tunedValues: Record<string, number> = {};
    for (const k of Object.keys(SPACE))
      tunedValues[k] = (params as unknown as Record<string, number>)[k] as number;
    return { index, params, tuned: tunedValues } as unknown as WalkForwardWindow;
  });
  const pbo = opts.pbo ?? 0.2;
  return {
    account: 'REV',
    sampler: 'tpe',
    objective: 'sharpe',
    mode: 'rolling',
    oosState: 'flat',
    isWeeks: 104,
    oosWeeks: 26,
    trialsPerWindow: 60,
    seed: 0,
    space: SPACE,
    baselineParams: base,
    windows,
    oos: {
      from: '2020-01-06',
      to: '2022-12-30',
      weeks: tuned.map(() => '2020-01-06'),
      tuned,
      baseline,
      tunedEquity: [],
      baselineEquity: [],
    },
    tunedMetrics: computeMetrics(tuned),
    baselineMetrics: computeMetrics(baseline),
    baselineContinuous: computeMetrics(baseline),
    diagnostics: {
      isOosGap: { mean: 0.3, perWindow: [0.3] },
      stability: { mean: 0.1, perParam: {} },
      dsr: { mean: 0.7, perWindow: [0.7] },
      pbo: { mean: pbo, perWindow: [pbo] },
    },
  };
}

function series(n: number, mean: number, sd: number, seed: number): number[] {
  const rng = mulberry32(seed);
  return Array.from({ length: n }, () => normal(rng, mean, sd));
}

describe('oversight tiers', () => {
  it.each([
    [1, 'auto-apply'],
    [0.9, 'auto-apply'],
    [0.8999, 'apply-and-notify'],
    [0.8, 'apply-and-notify'],
    [0.7999, 'needs-approval'],
    [0.7, 'needs-approval'],
    [0.6999, 'human-decides'],
    [0, 'human-decides'],
  ])('confidence %f → %s', (c, tier) => {
    expect(oversightTier(c)).toBe(tier);
  });

  it('rejects a confidence outside [0, 1]', () => {
    expect(() => oversightTier(1.01)).toThrow(/confidence must be a number in \[0, 1\], got 1.01/);
    expect(() => oversightTier(Number.NaN)).toThrow(TuningError);
  });
});

describe('paired bootstrap', () => {
  it('gives exactly 0.5 for identical series and 1 when one is the other shifted up', () => {
    const b = series(100, 0.001, 0.02, 1);
    expect(pairedBootstrap(b, b).probability).toBe(0.5);
    const a = b.map((x) => x + 0.01);
    expect(pairedBootstrap(a, b, { resamples: 300 }).probability).toBe(1);
    expect(pairedBootstrap(b, a, { resamples: 300 }).probability).toBe(0);
  });

  it('is deterministic for a seed and names bad inputs', () => {
    const a = series(60, 0.002, 0.02, 2);
    const b = series(60, 0.001, 0.02, 3);
    expect(pairedBootstrap(a, b, { seed: 5 })).toEqual(pairedBootstrap(a, b, { seed: 5 }));
    expect(pairedBootstrap(a, b).blockLength).toBe(4); // round(60^(1/3))
    expect(() => pairedBootstrap(a, b.slice(1))).toThrow(/b must have the same length as a \(60\), got 59/);
    expect(() => pairedBootstrap(a, b, { blockLength: 0 })).toThrow(
      /blockLength must be an integer in \[1, 60\]/,
    );
    expect(() => pairedBootstrap(a, [...b.slice(1), Number.NaN])).toThrow(/b\[59\] must be a finite number/);
  });
});

describe('proposeParameters', () => {
  it('a clear OOS win with a low PBO is applied automatically', () => {
    // Prepare: tuned = baseline + 0.5 % every week (same noise): P(beat) = 1; PBO 0.05 → confidence 0.95.
    const base = series(200, 0.001, 0.02, 11);
    const tuned = base.map((x) => x + 0.005);
    // Act
    const p = proposeParameters(fakeResult(tuned, base, { pbo: 0.05 }));
    // Assess
    expect(p.beatsBaseline).toBe(true);
    expect(p.evidence.pBeat).toBe(1);
    expect(p.confidence).toBeCloseTo(0.95, 12);
    expect(p.tier).toBe('auto-apply');
    expect(p.changes).toEqual([{ name: 'profitTakePct', from: 0.5, to: 0.65 }]);
    const s = computeMetrics(tuned).sharpe;
    const b = computeMetrics(base).sharpe;
    expect(p.improvement.sharpeDelta).toBeCloseTo(s - b, 12);
    expect(p.improvement.sharpePct).toBeCloseTo(((s - b) / Math.abs(b)) * 100, 9);
    expect(p.improvement.meetsGoal).toBe((p.improvement.sharpePct as number) > 15);
    expect(p.summary).toMatch(/beat the baseline out of sample .*auto-apply/);
  });

  it('the same win with PBO 0.15 is applied and notified; with PBO 0.25, approval is needed', () => {
    const base = series(200, 0.001, 0.02, 11);
    const tuned = base.map((x) => x + 0.005);
    expect(proposeParameters(fakeResult(tuned, base, { pbo: 0.15 })).tier).toBe('apply-and-notify');
    expect(proposeParameters(fakeResult(tuned, base, { pbo: 0.25 })).tier).toBe('needs-approval');
    expect(proposeParameters(fakeResult(tuned, base, { pbo: 0.5 })).tier).toBe('human-decides');
  });

  it('a proposal that does not beat the baseline says so and is never applied automatically', () => {
    const base = series(200, 0.002, 0.02, 12);
    const tuned = base.map((x) => x - 0.001);
    const p = proposeParameters(fakeResult(tuned, base, { pbo: 0 }));
    expect(p.beatsBaseline).toBe(false);
    expect(p.tier).toBe('human-decides');
    expect(p.summary).toMatch(/do not beat the baseline out of sample .*keep the baseline/);
    expect(appliesAutomatically(p)).toBe(false);
  });

  it('consensus takes the per-parameter median on the grid; last-window the latest choice', () => {
    const base = series(100, 0.001, 0.02, 13);
    const r = fakeResult(base, base, {
      choices: [{ profitTakePct: 0.55 }, { profitTakePct: 0.7 }, { profitTakePct: 0.6, maxRolls: 3 }],
    });
    expect(proposeParameters(r, { rule: 'consensus' }).params.profitTakePct).toBeCloseTo(0.6, 12);
    expect(proposeParameters(r, { rule: 'consensus' }).params.maxRolls).toBe(1);
    expect(proposeParameters(r).params.maxRolls).toBe(3);
    expect(() => proposeParameters(r, { rule: 'mode' as 'consensus' })).toThrow(/rule must be/);
    expect(() => proposeParameters({ ...r, windows: [] })).toThrow(
      /result\.windows must hold at least 1 window/,
    );
  });
});

describe('ParametersProposed and ParametersApproved events', () => {
  const base = series(200, 0.001, 0.02, 11);
  const good = proposeParameters(
    fakeResult(
      base.map((x) => x + 0.005),
      base,
      { pbo: 0.05 },
    ),
  );
  const weak = proposeParameters(
    fakeResult(
      base.map((x) => x + 0.005),
      base,
      { pbo: 0.25 },
    ),
  );

  it('builds a proposed event whose detail passes its schema', () => {
    const e = parametersProposedEvent(good, {
      proposalId: 'wf-REV-1',
      time: Date.UTC(2024, 0, 5),
      symbol: 'AAPL',
    });
    expect(e.detailType).toBe(TUNING_DETAIL_TYPES.parametersProposed);
    expect(parametersProposedSchema.parse(e.detail)).toEqual(e.detail);
    expect(e.detail).toMatchObject({
      version: 1,
      account: 'REV',
      tier: 'auto-apply',
      proposedAt: '2024-01-05T00:00:00.000Z',
    });
  });

  it('maps an infinite ratio to null and names an invalid detail field', () => {
    const inf = {
      ...good,
      oos: { ...good.oos, tuned: { ...good.oos.tuned, sortino: Number.POSITIVE_INFINITY } },
    };
    const e = parametersProposedEvent(inf, { proposalId: 'p1', time: 0 });
    expect((e.detail as { oos: { tuned: { sortino: unknown } } }).oos.tuned.sortino).toBeNull();
    expect(() => parametersProposedEvent(good, { proposalId: 'bad id!', time: 0 })).toThrow(
      /detail\.proposalId/,
    );
    expect(() => parametersProposedEvent(good, { proposalId: 'p1', time: 0, symbol: 'aapl' })).toThrow(
      /detail\.symbol/,
    );
    expect(() => parametersProposedEvent(good, { proposalId: 'p1', time: Number.NaN })).toThrow(
      /time must be epoch/,
    );
  });

  it('the system approves only automatic tiers; a person may approve any', () => {
    const auto = parametersApprovedEvent(good, { proposalId: 'p1', time: 0, approvedBy: AUTOMATIC_APPROVER });
    expect(auto.detailType).toBe(TUNING_DETAIL_TYPES.parametersApproved);
    expect(parametersApprovedSchema.parse(auto.detail)).toMatchObject({
      automatic: true,
      tier: 'auto-apply',
    });
    expect(() =>
      parametersApprovedEvent(weak, { proposalId: 'p1', time: 0, approvedBy: AUTOMATIC_APPROVER }),
    ).toThrow(/approvedBy 'system' may approve only .* got tier needs-approval/);
    const human = parametersApprovedEvent(weak, {
      proposalId: 'p1',
      time: 0,
      approvedBy: 'jane.doe',
      note: 'ok',
    });
    expect(human.detail).toMatchObject({ automatic: false, approvedBy: 'jane.doe', note: 'ok' });
  });

  it('a forged auto-apply tier that does not beat the baseline is still refused for the system', () => {
    const forged: ParameterProposal = { ...good, beatsBaseline: false };
    expect(() =>
      parametersApprovedEvent(forged, { proposalId: 'p1', time: 0, approvedBy: AUTOMATIC_APPROVER }),
    ).toThrow(/does not beat the baseline/);
  });
});
