/** Parameter reviews: proposal records, oversight tiers and the events they publish. */
import { describe, expect, it } from 'vitest';
import type { DomainEvent } from '../../../src/core/ports.ts';
import {
  decideProposal,
  type ProposalRecord,
  ReviewRequestError,
  reviewParameters,
  validateReviewRequest,
} from '../../../src/core/tuning/review.ts';
import { MemoryRecordStore } from '../../../src/core/workflows/records.ts';
import { syntheticMarket } from './fixtures.ts';

function deps() {
  const published: DomainEvent[] = [];
  return {
    published,
    deps: {
      proposals: new MemoryRecordStore<ProposalRecord>(),
      events: { publish: async (e: readonly DomainEvent[]) => void published.push(...e) },
      now: () => Date.UTC(2026, 10, 24),
    },
  };
}

const market = syntheticMarket(900, 7);
const request = validateReviewRequest({
  account: 'GEN',
  symbol: 'SPY',
  trials: 8,
  isWeeks: 52,
  oosWeeks: 26,
});

describe('parameter reviews', () => {
  it('validates the request, naming each field and rule', () => {
    expect(validateReviewRequest({ account: 'GEN', symbol: 'SPY' })).toMatchObject({
      trials: 40,
      isWeeks: 104,
      sampler: 'tpe',
    });
    try {
      validateReviewRequest({ account: 'XYZ', symbol: 'spy', trials: 1000, extra: 1 });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ReviewRequestError);
      const paths = (e as ReviewRequestError).issues.map((i) => i.path);
      expect(paths).toEqual(expect.arrayContaining(['account', 'symbol', 'trials', '(body)']));
    }
  });

  it('records the proposal with its tier, publishes ParametersProposed, and approves only when the rules allow it', async () => {
    const { deps: d, published } = deps();

    const { record, created } = await reviewParameters(d, 'review-1', request, market);

    expect(created).toBe(true);
    const p = record.proposal;
    const automatic = p.beatsBaseline && (p.tier === 'auto-apply' || p.tier === 'apply-and-notify');
    expect(record.status).toBe(automatic ? 'applied' : 'pending');
    expect(published.map((e) => e.detailType)).toEqual(
      automatic ? ['ParametersProposed', 'ParametersApproved'] : ['ParametersProposed'],
    );
    // A repeated review returns the stored record and publishes nothing more.
    const again = await reviewParameters(d, 'review-1', request, market);
    expect(again.created).toBe(false);
    expect(published).toHaveLength(automatic ? 2 : 1);
  });

  it('lets a named person approve a pending proposal once, publishing ParametersApproved with their name', async () => {
    const { deps: d, published } = deps();
    const now = d.now();
    const proposal = (await reviewParameters(d, 'seed', request, market)).record.proposal;
    await d.proposals.create({
      id: 'p-1',
      status: 'pending',
      symbol: 'SPY',
      request,
      proposal,
      createdAt: now,
      updatedAt: now,
    });
    published.length = 0;

    const first = await decideProposal(d, 'p-1', { approve: true, actor: 'alice', reason: 'desk review' });
    const second = await decideProposal(d, 'p-1', { approve: false, actor: 'bob', reason: 'late' });

    expect(first).toMatchObject({ decided: true, record: { status: 'approved', decidedBy: 'alice' } });
    expect(second).toMatchObject({ decided: false, record: { status: 'approved' } });
    expect(published.map((e) => [e.detailType, (e.detail as { approvedBy?: string }).approvedBy])).toEqual([
      ['ParametersApproved', 'alice'],
    ]);
    expect(await decideProposal(d, 'nope', { approve: true, actor: 'a', reason: 'r' })).toBeUndefined();
  });

  it('refuses a review larger than the per-call budget, naming trials', async () => {
    const { deps: d } = deps();
    const big = validateReviewRequest({
      account: 'GEN',
      symbol: 'SPY',
      trials: 200,
      isWeeks: 26,
      oosWeeks: 4,
    });
    await expect(reviewParameters(d, 'big', big, syntheticMarket(3000, 1))).rejects.toThrow(
      /trials.*exceeds|exceeds/,
    );
  });
});
