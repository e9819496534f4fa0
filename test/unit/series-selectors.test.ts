import { describe, expect, it } from 'vitest';
import {
  COMPONENT_SELECTOR,
  METRIC_SELECTOR,
  parseDuration,
  parseInstant,
} from '../../src/core/series/index.ts';

describe('series selector grammar', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1d', 86_400_000],
    ['60', 60_000],
  ])('reads the duration %s as %i ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['0', '0s', '-5m', '5 m', '5w', '1.5h', ''])('refuses %j as a duration', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it('reads instants as epoch ms or ISO-8601 with a timezone, and nothing else', () => {
    expect(parseInstant(1_795_521_600_000)).toBe(1_795_521_600_000);
    expect(parseInstant('1795521600000')).toBe(1_795_521_600_000);
    expect(parseInstant('2026-11-24T12:00:00Z')).toBe(Date.UTC(2026, 10, 24, 12));
    expect(parseInstant('2026-11-24T13:00:00+01:00')).toBe(Date.UTC(2026, 10, 24, 12));
    for (const bad of ['2026-11-24T12:00:00', 'yesterday', 1.5, Number.NaN, null, {}]) {
      expect(parseInstant(bad)).toBeUndefined();
    }
  });

  it('accepts the metric and component names events use, bounded to 64 characters', () => {
    expect(METRIC_SELECTOR.test('latency_ms')).toBe(true);
    expect(METRIC_SELECTOR.test('Latency')).toBe(false);
    expect(METRIC_SELECTOR.test(`m${'x'.repeat(64)}`)).toBe(false);
    expect(COMPONENT_SELECTOR.test('market:TSLA')).toBe(true);
    expect(COMPONENT_SELECTOR.test('bad component')).toBe(false);
  });
});
