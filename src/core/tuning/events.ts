/**
 * Domain events of parameter tuning, published on the project's bus (EventBridge, source
 * `all-use.learning`) like AnomalyDetected. Detail schema version 1; every object is strict (an unknown key
 * is an error), and the builders validate what they build, so a consumer can rely on the shape below.
 *
 * `ParametersProposed`, one per proposal:
 * ```
 * { version: 1, proposalId: string, account: 'GEN'|'REV'|'COM', symbol?: string, proposedAt: string (ISO-8601),
 *   rule: 'last-window'|'consensus',
 *   tier: 'auto-apply'|'apply-and-notify'|'needs-approval'|'human-decides', confidence: number (0..1),
 *   beatsBaseline: boolean, summary: string,
 *   params: Record<string, number>,            // the full proposed ProtocolParams
 *   baselineParams: Record<string, number>,
 *   changes: { name: string, from: number, to: number }[],
 *   oos: { from: string (date), to: string (date), weeks: number,
 *          tuned: Metrics, baseline: Metrics },  // stitched walk-forward OOS, same weeks for both
 *   improvement: { sharpeDelta: number, sharpePct: number | null, meetsGoal: boolean },
 *   evidence: { pBeat: number, pbo: number, dsrMean: number, isOosGapMean: number, stabilityMean: number,
 *               windows: number, trialsPerWindow: number, sampler: 'tpe'|'nsga2'|'random' } }
 * Metrics = { weeks, cagr, sharpe, sortino: number | null, calmar: number | null, maxDrawdown,
 *             meanWeeklyReturn, totalReturn, positiveWeeksShare }   // null stands for an infinite ratio
 * ```
 * `ParametersApproved`, when a proposal is applied: automatically (`approvedBy: 'system'`, only for the
 * auto-apply and apply-and-notify tiers) or by a named person (any tier):
 * ```
 * { version: 1, proposalId: string, account, symbol?: string, approvedAt: string (ISO-8601), approvedBy: string,
 *   automatic: boolean, tier, confidence: number, params: Record<string, number>,
 *   changes: { name, from, to }[], note?: string }
 * ```
 * Rules on the bus match `detail.tier` (e.g. page the desk for `needs-approval` and `human-decides`) and
 * `detail.account`.
 */
import { z } from 'zod';
import type { PerformanceMetrics, ProtocolParams } from '../backtest/index.ts';
import { ACCOUNT_TYPES } from '../events/constants.ts';
import type { DomainEvent } from '../ports.ts';
import { TuningError } from './overfitting.ts';
import { OVERSIGHT_TIERS, type ParameterProposal } from './proposal.ts';

export const TUNING_DETAIL_TYPES = {
  parametersProposed: 'ParametersProposed',
  parametersApproved: 'ParametersApproved',
} as const;

/** The approver name of an automatic application. */
export const AUTOMATIC_APPROVER = 'system';

const id = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9._:-]+$/);
const symbol = z
  .string()
  .min(1)
  .max(12)
  .regex(/^[A-Z][A-Z.]*$/);
const finite = z.number().refine(Number.isFinite, 'must be a finite number');
const probability = finite.refine((x) => x >= 0 && x <= 1, 'must be in [0, 1]');
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);
const isoTime = z.iso.datetime();
const tier = z.enum(OVERSIGHT_TIERS);
const paramValues = z.record(z.string().min(1), finite);
const changes = z.array(z.strictObject({ name: z.string().min(1), from: finite, to: finite }));

const metricsSchema = z.strictObject({
  weeks: z.number().int().min(0),
  cagr: finite,
  sharpe: finite,
  sortino: finite.nullable(),
  calmar: finite.nullable(),
  maxDrawdown: finite,
  meanWeeklyReturn: finite,
  totalReturn: finite,
  positiveWeeksShare: probability,
});

/** Detail of `ParametersProposed`, version 1. */
export const parametersProposedSchema = z.strictObject({
  version: z.literal(1),
  proposalId: id,
  account: z.enum(ACCOUNT_TYPES),
  symbol: symbol.optional(),
  proposedAt: isoTime,
  rule: z.enum(['last-window', 'consensus']),
  tier,
  confidence: probability,
  beatsBaseline: z.boolean(),
  summary: z.string().min(1).max(1000),
  params: paramValues,
  baselineParams: paramValues,
  changes,
  oos: z.strictObject({
    from: isoDate,
    to: isoDate,
    weeks: z.number().int().min(1),
    tuned: metricsSchema,
    baseline: metricsSchema,
  }),
  improvement: z.strictObject({
    sharpeDelta: finite,
    sharpePct: finite.nullable(),
    meetsGoal: z.boolean(),
  }),
  evidence: z.strictObject({
    pBeat: probability,
    pbo: probability,
    dsrMean: probability,
    isOosGapMean: finite,
    stabilityMean: finite,
    windows: z.number().int().min(1),
    trialsPerWindow: z.number().int().min(1),
    sampler: z.enum(['tpe', 'nsga2', 'random']),
  }),
});
export type ParametersProposedDetail = z.infer<typeof parametersProposedSchema>;

/** Detail of `ParametersApproved`, version 1. */
export const parametersApprovedSchema = z.strictObject({
  version: z.literal(1),
  proposalId: id,
  account: z.enum(ACCOUNT_TYPES),
  symbol: symbol.optional(),
  approvedAt: isoTime,
  approvedBy: z.string().min(1).max(200),
  automatic: z.boolean(),
  tier,
  confidence: probability,
  params: paramValues,
  changes,
  note: z.string().max(2000).optional(),
});
export type ParametersApprovedDetail = z.infer<typeof parametersApprovedSchema>;

function metricsDetail(m: PerformanceMetrics): z.infer<typeof metricsSchema> {
  const orNull = (x: number) => (Number.isFinite(x) ? x : null);
  return {
    weeks: m.weeks,
    cagr: m.cagr,
    sharpe: m.sharpe,
    sortino: orNull(m.sortino),
    calmar: orNull(m.calmar),
    maxDrawdown: m.maxDrawdown,
    meanWeeklyReturn: m.meanWeeklyReturn,
    totalReturn: m.totalReturn,
    positiveWeeksShare: m.positiveWeeksShare,
  };
}

function values(p: ProtocolParams): Record<string, number> {
  return { ...(p as unknown as Record<string, number>) };
}

function checked<T>(schema: z.ZodType<T>, detail: unknown, what: string): T {
  const r = schema.safeParse(detail);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new TuningError(`${what}.${issue?.path.join('.') ?? ''} ${issue?.message ?? 'is invalid'}`);
  }
  return r.data;
}

/** Where and when a proposal event happens. */
export interface ProposalEventContext {
  readonly proposalId: string;
  /** Epoch ms. */
  readonly time: number;
  readonly symbol?: string;
}

/**
 * The `ParametersProposed` event of a proposal, validated against {@link parametersProposedSchema}
 * (a TuningError names the offending detail field).
 */
export function parametersProposedEvent(p: ParameterProposal, ctx: ProposalEventContext): DomainEvent {
  if (!Number.isFinite(ctx.time)) throw new TuningError(`time must be epoch milliseconds, got ${ctx.time}`);
  const detail = checked(
    parametersProposedSchema,
    {
      version: 1,
      proposalId: ctx.proposalId,
      account: p.account,
      ...(ctx.symbol !== undefined ? { symbol: ctx.symbol } : {}),
      proposedAt: new Date(ctx.time).toISOString(),
      rule: p.rule,
      tier: p.tier,
      confidence: p.confidence,
      beatsBaseline: p.beatsBaseline,
      summary: p.summary,
      params: values(p.params),
      baselineParams: values(p.baselineParams),
      changes: p.changes.map((c) => ({ ...c })),
      oos: {
        from: p.oos.from,
        to: p.oos.to,
        weeks: p.oos.weeks,
        tuned: metricsDetail(p.oos.tuned),
        baseline: metricsDetail(p.oos.baseline),
      },
      improvement: { ...p.improvement },
      evidence: { ...p.evidence },
    },
    'detail',
  );
  return { detailType: TUNING_DETAIL_TYPES.parametersProposed, time: ctx.time, detail };
}

/** Who approves, and why. */
export interface ApprovalContext extends ProposalEventContext {
  /** {@link AUTOMATIC_APPROVER} for an automatic application, else the approving person. */
  readonly approvedBy: string;
  readonly note?: string;
}

/** Whether the oversight rules let the system apply a proposal without a person. */
export function appliesAutomatically(p: ParameterProposal): boolean {
  return p.beatsBaseline && (p.tier === 'auto-apply' || p.tier === 'apply-and-notify');
}

/**
 * The `ParametersApproved` event of a proposal. The system may approve only a proposal that
 * {@link appliesAutomatically}; any other tier needs a named approver (a TuningError says so).
 */
export function parametersApprovedEvent(p: ParameterProposal, ctx: ApprovalContext): DomainEvent {
  if (!Number.isFinite(ctx.time)) throw new TuningError(`time must be epoch milliseconds, got ${ctx.time}`);
  const automatic = ctx.approvedBy === AUTOMATIC_APPROVER;
  if (automatic && !appliesAutomatically(p)) {
    throw new TuningError(
      `approvedBy '${AUTOMATIC_APPROVER}' may approve only auto-apply or apply-and-notify proposals that beat the baseline, got tier ${p.tier}${p.beatsBaseline ? '' : ' (does not beat the baseline)'}: a named person must approve`,
    );
  }
  const detail = checked(
    parametersApprovedSchema,
    {
      version: 1,
      proposalId: ctx.proposalId,
      account: p.account,
      ...(ctx.symbol !== undefined ? { symbol: ctx.symbol } : {}),
      approvedAt: new Date(ctx.time).toISOString(),
      approvedBy: ctx.approvedBy,
      automatic,
      tier: p.tier,
      confidence: p.confidence,
      params: values(p.params),
      changes: p.changes.map((c) => ({ ...c })),
      ...(ctx.note !== undefined ? { note: ctx.note } : {}),
    },
    'detail',
  );
  return { detailType: TUNING_DETAIL_TYPES.parametersApproved, time: ctx.time, detail };
}
