import { describe, expect, it } from 'vitest';
import { bsDelta, bsPrice, normCdf, normInv, strikeForDelta } from '../../../src/core/backtest/index.ts';

describe('normal distribution', () => {
  it('matches table values and inverts', () => {
    expect(normCdf(0)).toBe(0.5);
    expect(normCdf(1.96)).toBeCloseTo(0.9750021, 7);
    expect(normCdf(-1)).toBeCloseTo(0.1586553, 7);
    expect(normInv(0.975)).toBeCloseTo(1.959964, 6);
    for (const p of [1e-6, 0.01, 0.3, 0.5, 0.9, 0.999]) expect(normCdf(normInv(p))).toBeCloseTo(p, 12);
  });
});

describe('Black-Scholes', () => {
  it("reproduces Hull's Example 15.6 (S 42, K 40, r 10 %, σ 20 %, T 0.5): call 4.76, put 0.81", () => {
    // Prepare
    const i = { spot: 42, strike: 40, years: 0.5, rate: 0.1, vol: 0.2 };
    // Act / Assess
    expect(bsPrice('call', i)).toBeCloseTo(4.76, 2);
    expect(bsPrice('put', i)).toBeCloseTo(0.81, 2);
  });

  it("reproduces Hull's Example 19.1 delta (S 49, K 50, r 5 %, σ 20 %, 20 weeks): 0.522", () => {
    const i = { spot: 49, strike: 50, years: 20 / 52, rate: 0.05, vol: 0.2 };
    expect(bsDelta('call', i)).toBeCloseTo(0.522, 3);
    expect(bsPrice('call', i)).toBeCloseTo(2.4, 2);
    expect(bsDelta('put', i)).toBeCloseTo(0.522 - 1, 3);
  });

  it('satisfies put-call parity c − p = S·e^(−qT) − K·e^(−rT)', () => {
    for (const [spot, strike, years, rate, vol, q] of [
      [100, 95, 7 / 365, 0.02, 0.6, 0],
      [20, 25, 1, 0.05, 0.3, 0.01],
      [300, 300, 4 / 365, 0, 0.15, 0],
    ] as const) {
      const i = { spot, strike, years, rate, vol, dividendYield: q };
      const lhs = bsPrice('call', i) - bsPrice('put', i);
      expect(lhs).toBeCloseTo(spot * Math.exp(-q * years) - strike * Math.exp(-rate * years), 10);
    }
  });

  it('returns intrinsic value and step delta at expiry', () => {
    expect(bsPrice('put', { spot: 90, strike: 100, years: 0, rate: 0.02, vol: 0.3 })).toBe(10);
    expect(bsPrice('call', { spot: 90, strike: 100, years: 0, rate: 0.02, vol: 0.3 })).toBe(0);
    expect(bsDelta('put', { spot: 90, strike: 100, years: 0, rate: 0.02, vol: 0.3 })).toBe(-1);
  });

  it('finds the strike of a target delta (round trip through bsDelta)', () => {
    const base = { spot: 100, years: 4 / 365, rate: 0.02, vol: 0.35 };
    for (const d of [0.2, 0.35, 0.45]) {
      const kp = strikeForDelta('put', d, base);
      const kc = strikeForDelta('call', d, base);
      expect(kp).toBeLessThan(100);
      expect(kc).toBeGreaterThan(100);
      expect(Math.abs(bsDelta('put', { ...base, strike: kp }))).toBeCloseTo(d, 10);
      expect(bsDelta('call', { ...base, strike: kc })).toBeCloseTo(d, 10);
    }
  });

  it('rejects bad inputs naming the field', () => {
    expect(() => bsPrice('call', { spot: 0, strike: 1, years: 1, rate: 0, vol: 0.2 })).toThrow(
      /spot must be a positive/,
    );
    expect(() => bsPrice('call', { spot: 1, strike: 1, years: -1, rate: 0, vol: 0.2 })).toThrow(
      /years must be >= 0/,
    );
    expect(() => bsPrice('call', { spot: 1, strike: 1, years: 1, rate: 0, vol: 0 })).toThrow(
      /vol must be > 0/,
    );
    expect(() => strikeForDelta('put', 1.2, { spot: 1, years: 1, rate: 0, vol: 0.2 })).toThrow(/absDelta/);
  });
});
