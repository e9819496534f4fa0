/**
 * A parameter review: the walk-forward tuning of one account on one symbol, turned into a proposal that the
 * protocol's oversight tiers handle. Applied automatically (ParametersProposed + ParametersApproved by
 * `system`) only when the proposal beats the baseline out of sample and its confidence reaches the
 * auto-apply or apply-and-notify tier; otherwise it waits for a named person, who approves (publishing
 * ParametersApproved) or rejects it. Runs over ports: the proposal records and the event bus.
 */
import { z } from 'zod';
import { ACCOUNT_TYPES } from '../events/constants.ts';
import type { ValidationIssue } from '../events/index.ts';
import type { MarketData } from '../optimise/objectives.ts';
import type { DomainEvent, EventPublisher } from '../ports.ts';
import type { RecordStore, StatusRecord } from '../workflows/records.ts';
import {
  AUTOMATIC_APPROVER,
  appliesAutomatically,
  parametersApprovedEvent,
  parametersProposedEvent,
} from './events.ts';
import { type ParameterProposal, proposeParameters } from './proposal.ts';
import { walkForward } from './walk-forward.ts';

/**
 * At most this many backtests (windows x trials) per review: a review runs inside one API call, and
 * ~2,000 weekly-wheel backtests of a few years take about 10 s on one Lambda vCPU.
 */
export const MAX_REVIEW_BACKTESTS = 2_500;

const requestSchema = z.strictObject({
  account: z.enum(ACCOUNT_TYPES),
  symbol: z.string().regex(/^[A-Z][A-Z0-9.]{0,9}$/, 'must be a ticker like SPY'),
  from: z.iso.date().optional(),
  to: z.iso.date().optional(),
  trials: z.int().min(5).max(200).default(40),
  isWeeks: z.int().min(26).max(520).default(104),
  oosWeeks: z.int().min(4).max(104).default(26),
  sampler: z.enum(['tpe', 'nsga2', 'random']).default('tpe'),
  rule: z.enum(['last-window', 'consensus']).default('last-window'),
  seed: z.int().min(0).default(0),
});

export type ReviewRequest = z.infer<typeof requestSchema>;

/** An invalid review request; `issues` names each field and rule. */
export class ReviewRequestError extends Error {
  override readonly name = 'ReviewRequestError';
  constructor(readonly issues: readonly ValidationIssue[]) {
    super(issues.map((i) => `${i.path}: ${i.message}`).join('; '));
  }
}

/** Validates a POST /v1/parameter-reviews body. */
export function validateReviewRequest(body: unknown): ReviewRequest {
  const parsed = requestSchema.safeParse(body);
  if (!parsed.success) {
    throw new ReviewRequestError(
      parsed.error.issues.map((i) => ({
        path: i.path.join('.') || '(body)',
        rule: i.code,
        message: i.message,
      })),
    );
  }
  return parsed.data;
}

export type ProposalStatus = 'applied' | 'pending' | 'approved' | 'rejected';

/** A stored proposal (id = the review's id). */
export interface ProposalRecord extends StatusRecord {
  readonly status: ProposalStatus;
  readonly symbol: string;
  readonly request: ReviewRequest;
  readonly proposal: ParameterProposal;
  readonly decidedBy?: string;
  readonly reason?: string;
}

export interface ReviewDeps {
  readonly proposals: RecordStore<ProposalRecord>;
  readonly events: EventPublisher;
  readonly now: () => number;
}

/**
 * Runs the review and records the proposal: `applied` (and both events) when the oversight rules allow
 * it, otherwise `pending` (and ParametersProposed only). Idempotent on `id`: a repeated review returns
 * the stored record without publishing again.
 */
export async function reviewParameters(
  deps: ReviewDeps,
  id: string,
  request: ReviewRequest,
  data: MarketData,
): Promise<{ record: ProposalRecord; created: boolean }> {
  const existing = await deps.proposals.get(id);
  if (existing) return { record: existing, created: false };
  const keep: number[] = [];
  data.bars.forEach((b, i) => {
    if (
      (request.from === undefined || b.date >= request.from) &&
      (request.to === undefined || b.date <= request.to)
    )
      keep.push(i);
  });
  const bars = keep.map((i) => data.bars[i]!);
  const vix = keep.map((i) => data.vix[i]!);
  const windows = Math.max(0, Math.floor((bars.length / 5 - request.isWeeks) / request.oosWeeks));
  if (windows * request.trials > MAX_REVIEW_BACKTESTS)
    throw new ReviewRequestError([
      {
        path: 'trials',
        rule: 'budget',
        message: `${windows} windows x ${request.trials} trials exceeds ${MAX_REVIEW_BACKTESTS} backtests; narrow from/to, lengthen oosWeeks or lower trials`,
      },
    ]);
  const result = walkForward({
    bars,
    vix,
    account: request.account,
    isWeeks: request.isWeeks,
    oosWeeks: request.oosWeeks,
    trials: request.trials,
    sampler: request.sampler,
    seed: request.seed,
  });
  const proposal = proposeParameters(result, { rule: request.rule });
  const now = deps.now();
  const automatic = appliesAutomatically(proposal);
  const record: ProposalRecord = {
    id,
    status: automatic ? 'applied' : 'pending',
    symbol: request.symbol,
    request,
    proposal,
    ...(automatic ? { decidedBy: AUTOMATIC_APPROVER, reason: `oversight tier ${proposal.tier}` } : {}),
    createdAt: now,
    updatedAt: now,
  };
  if (!(await deps.proposals.create(record)))
    return { record: (await deps.proposals.get(id))!, created: false };
  const ctx = { proposalId: id, time: now, symbol: request.symbol };
  const events: DomainEvent[] = [parametersProposedEvent(proposal, ctx)];
  if (automatic) events.push(parametersApprovedEvent(proposal, { ...ctx, approvedBy: AUTOMATIC_APPROVER }));
  await deps.events.publish(events);
  return { record, created: true };
}

/**
 * A person's decision on a pending proposal, once: approval publishes ParametersApproved with their name.
 * Returns undefined when the proposal does not exist, and `decided: false` when it was already decided.
 */
export async function decideProposal(
  deps: ReviewDeps,
  id: string,
  decision: { readonly approve: boolean; readonly actor: string; readonly reason: string },
): Promise<{ record: ProposalRecord; decided: boolean } | undefined> {
  const record = await deps.proposals.get(id);
  if (!record) return undefined;
  const now = deps.now();
  const next: ProposalRecord = {
    ...record,
    status: decision.approve ? 'approved' : 'rejected',
    decidedBy: decision.actor,
    reason: decision.reason,
    updatedAt: now,
  };
  if (!(await deps.proposals.transition(next, ['pending']))) return { record, decided: false };
  if (decision.approve) {
    await deps.events.publish([
      parametersApprovedEvent(record.proposal, {
        proposalId: id,
        time: now,
        symbol: record.symbol,
        approvedBy: decision.actor,
        note: decision.reason,
      }),
    ]);
  }
  return { record: next, decided: true };
}
