import { describe, expect, it } from 'vitest';
import {
  MODEL_PROMOTED,
  modelPromotedDetailSchema,
  modelPromotedEvent,
} from '../../../src/core/learning/index.ts';

const detail = {
  model: 'week-movement-spy',
  version: 3,
  previousVersion: 2,
  alias: 'champion',
  decision: 'promote' as const,
  confidence: 0.97,
  metrics: { macro_f1: 0.41, accuracy: 0.45 },
  runId: 'exec-0001',
};

describe('ModelPromoted', () => {
  it('builds the event with a validated detail of schema version 1', () => {
    const e = modelPromotedEvent(detail, 1_700_000_000_000);
    expect(e).toEqual({
      detailType: MODEL_PROMOTED,
      time: 1_700_000_000_000,
      detail: { schemaVersion: 1, ...detail },
    });
    expect(modelPromotedDetailSchema.safeParse(e.detail).success).toBe(true);
  });

  it('accepts a first version (no previous) and a human approval with its approver', () => {
    expect(() =>
      modelPromotedEvent({ ...detail, previousVersion: null, decision: 'first-version' }, 0),
    ).not.toThrow();
    expect(
      modelPromotedEvent({ ...detail, decision: 'approved', approvedBy: 'quant@example.com' }, 0).detail,
    ).toMatchObject({
      approvedBy: 'quant@example.com',
    });
  });

  it('names every invalid field and its rule', () => {
    expect(() => modelPromotedEvent({ ...detail, model: 'Bad Name' }, 0)).toThrow(/model: .*\[pattern\]/);
    expect(() => modelPromotedEvent({ ...detail, confidence: 1.5 }, 0)).toThrow(/confidence: must be <= 1/);
    expect(() => modelPromotedEvent({ ...detail, decision: 'approved' }, 0)).toThrow(
      /^approvedBy: is required \(must be given when decision is approved/,
    );
    expect(() => modelPromotedEvent({ ...detail, approvedBy: 'x' }, 0)).toThrow(/approvedBy/);
    expect(() => modelPromotedEvent({ ...detail, previousVersion: 3 }, 0)).toThrow(
      /previousVersion: must differ/,
    );
    expect(() => modelPromotedEvent({ ...detail, metrics: { f1: Number.NaN } }, 0)).toThrow(/metrics\.f1/);
  });
});
