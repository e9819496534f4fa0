import { describe, expect, it } from 'vitest';
import {
  EVENT_LIMITS,
  formatValidationIssues,
  isoWeeksInYear,
  parseEventPayload,
  parseIsoTimestamp,
  type ValidationIssue,
  validateEvent,
  validateEventBatch,
  WEEK_TYPES,
} from '../../src/core/events/index.ts';
import { locateJsonSyntaxError } from '../../src/core/events/json.ts';

const NOW = Date.parse('2025-06-02T12:00:00Z');
const TIME = '2025-06-02T11:59:00Z';
const TIME_MS = Date.parse(TIME);

type Json = Record<string, unknown>;

const metric: Json = {
  version: 1,
  id: 'evt-01J9ZQ3K7X5V2M8N',
  type: 'metric',
  source: 'protocol-engine',
  time: TIME,
  data: {
    component: 'protocol-engine',
    name: 'latency_ms',
    value: 12.5,
    unit: 'ms',
    dimensions: { region: 'us-east-1', operation: 'classify_week' },
  },
};

const trade: Json = {
  version: 1,
  id: 'trade:GEN:2025-06-02:TSLA-P-300',
  type: 'trade',
  source: 'svc/trading',
  time: TIME,
  data: {
    account: 'GEN',
    accountId: 'gen-001',
    symbol: 'TSLA',
    right: 'put',
    side: 'short',
    strike: 300,
    expiry: '2025-06-06',
    delta: -0.45,
    dte: 4,
    premium: 5.2,
    contracts: 10,
    pnl: 5200,
    status: 'expired',
    weekType: 'P-EW',
  },
};

const week: Json = {
  version: 1,
  id: 'week.REV.2025-W23',
  type: 'week',
  source: 'protocol-engine',
  time: TIME,
  data: {
    account: 'REV',
    isoWeek: '2025-W23',
    predictedWeekType: 'P-EW',
    actualWeekType: 'P-AWL',
    predictedReturn: 0.01,
    actualReturn: -0.004,
  },
};

const market: Json = {
  version: 1,
  id: 'mkt-TSLA-1748865540',
  type: 'market',
  source: 'svc/market-data',
  time: TIME,
  data: { symbol: 'TSLA', price: 312.4, impliedVolatility: 0.62, vix: 18.3 },
};

/** A copy of `event` with `patch` merged into its data (a key patched to undefined is removed). */
function withData(event: Json, patch: Json): Json {
  const data = { ...(event.data as Json), ...patch };
  for (const key of Object.keys(patch)) if (patch[key] === undefined) delete data[key];
  return { ...event, data };
}

/** A copy of `event` with `patch` merged into the envelope (a key patched to undefined is removed). */
function withEnvelope(event: Json, patch: Json): Json {
  const copy = { ...event, ...patch };
  for (const key of Object.keys(patch)) if (patch[key] === undefined) delete copy[key];
  return copy;
}

function pathsAndRules(errors: readonly ValidationIssue[]): string[] {
  return errors.map((e) => `${e.path} ${e.rule}`).sort();
}

function errorsOf(input: unknown): ValidationIssue[] {
  const result = validateEvent(input, { now: NOW });
  if (result.ok) throw new Error(`expected a rejection, got ${JSON.stringify(result.event)}`);
  return result.errors;
}

describe('validateEvent: valid events', () => {
  const cases: [string, Json][] = [
    ['metric with dimensions', metric],
    ['metric without dimensions', withData(metric, { dimensions: undefined })],
    ['metric with 10 dimensions', withData(metric, { dimensions: dims(EVENT_LIMITS.maxDimensions) })],
    [
      'metric with a negative value and unit none',
      withData(metric, { value: -3, unit: 'none', name: 'drift' }),
    ],
    ['metric with a component path', withData(metric, { component: 'svc/trading:order-router.v2' })],
    ['trade', trade],
    ['trade without optional accountId', withData(trade, { accountId: undefined })],
    [
      'call trade, rolled, C-WAP+',
      withData(trade, { right: 'call', status: 'rolled', weekType: 'C-WAP+', delta: 0.3 }),
    ],
    [
      'trade on a dotted symbol, 0 DTE, zero premium',
      withData(trade, { symbol: 'BRK.B', dte: 0, premium: 0 }),
    ],
    ['trade expiring on a leap day', withData(trade, { expiry: '2028-02-29' })],
    [
      'week with only required data',
      withData(week, { actualWeekType: undefined, predictedReturn: undefined, actualReturn: undefined }),
    ],
    ['week 53 of a long year', withData(week, { isoWeek: '2020-W53' })],
    ['week at return bounds', withData(week, { predictedReturn: -1, actualReturn: 10 })],
    ['market', market],
    ['market with price only', withData(market, { impliedVolatility: undefined, vix: undefined })],
    ['time with an offset', withEnvelope(metric, { time: '2025-06-02T13:59:00+02:00' })],
    ['time with a fraction', withEnvelope(metric, { time: '2025-06-02T11:59:00.123456Z' })],
    ['time at the future-skew bound', withEnvelope(metric, { time: '2025-06-02T12:05:00Z' })],
    ['time at the age bound', withEnvelope(metric, { time: '2025-05-26T12:00:00Z' })],
  ];

  it.each(cases)('accepts %s', (_name, input) => {
    // Act
    const result = validateEvent(input, { now: NOW });

    // Assess
    expect(result.ok ? [] : result.errors).toEqual([]);
    expect(result.ok && result.event.type).toBe(input.type);
  });

  it('returns the event time in epoch ms, honouring the offset', () => {
    // Act
    const result = validateEvent(withEnvelope(metric, { time: '2025-06-02T13:59:00.250+02:00' }), {
      now: NOW,
    });

    // Assess
    expect(result.ok && result.timeMs).toBe(TIME_MS + 250);
  });

  it('returns typed data and fills the default side of a trade', () => {
    // Prepare
    const input = withData(trade, { side: undefined });

    // Act
    const result = validateEvent(input, { now: NOW });

    // Assess
    expect(result.ok).toBe(true);
    if (!result.ok || result.event.type !== 'trade') return;
    expect(result.event.data.side).toBe('short');
    expect(result.event.data.strike).toBe(300);
    expect(result.event).not.toBe(input);
  });

  it('judges time against Date.now() when no now is given', () => {
    // Prepare
    const fresh = withEnvelope(metric, { time: new Date().toISOString() });
    const old = withEnvelope(metric, { time: '2001-01-01T00:00:00Z' });

    // Act
    const results = [validateEvent(fresh), validateEvent(old)];

    // Assess
    expect(results.map((r) => r.ok)).toEqual([true, false]);
  });
});

function dims(count: number): Record<string, string> {
  return Object.fromEntries(Array.from({ length: count }, (_, i) => [`k${i}`, `v${i}`]));
}

describe('validateEvent: invalid events', () => {
  const cases: [string, unknown, string[]][] = [
    // Envelope
    ['not an object', 'hello', ['(root) type']],
    ['null', null, ['(root) type']],
    ['an array', [metric], ['(root) type']],
    ['missing version', withEnvelope(metric, { version: undefined }), ['version required']],
    ['unknown version', withEnvelope(metric, { version: 2 }), ['version version.unknown']],
    ['version as string', withEnvelope(metric, { version: '1' }), ['version type']],
    ['empty id', withEnvelope(metric, { id: '' }), ['id min_length']],
    ['id too long', withEnvelope(metric, { id: 'a'.repeat(129) }), ['id max_length']],
    ['id with a space', withEnvelope(metric, { id: 'evt 1' }), ['id pattern']],
    ['id as number', withEnvelope(metric, { id: 42 }), ['id type']],
    ['missing source', withEnvelope(metric, { source: undefined }), ['source required']],
    ['source too long', withEnvelope(metric, { source: 's'.repeat(129) }), ['source max_length']],
    ['unknown type', withEnvelope(metric, { type: 'metrics' }), ['type type.unknown']],
    ['missing type', withEnvelope(metric, { type: undefined }), ['type required']],
    ['type as number', withEnvelope(metric, { type: 1 }), ['type type']],
    ['unknown envelope key', withEnvelope(metric, { subject: 'x' }), ['subject unknown_key']],
    ['missing data', withEnvelope(metric, { data: undefined }), ['data required']],
    ['data as array', withEnvelope(metric, { data: [] }), ['data type']],
    // Time
    ['missing time', withEnvelope(metric, { time: undefined }), ['time required']],
    ['time as epoch number', withEnvelope(metric, { time: TIME_MS }), ['time type']],
    ['time without timezone', withEnvelope(metric, { time: '2025-06-02T11:59:00' }), ['time time.format']],
    ['time date only', withEnvelope(metric, { time: '2025-06-02' }), ['time time.format']],
    [
      'time with space separator',
      withEnvelope(metric, { time: '2025-06-02 11:59:00Z' }),
      ['time time.format'],
    ],
    [
      'time on an impossible day',
      withEnvelope(metric, { time: '2025-02-30T12:00:00Z' }),
      ['time time.format'],
    ],
    ['time with hour 24', withEnvelope(metric, { time: '2025-06-02T24:00:00Z' }), ['time time.format']],
    ['time far in the future', withEnvelope(metric, { time: '2025-06-03T12:00:00Z' }), ['time time.future']],
    [
      'time just past the skew',
      withEnvelope(metric, { time: '2025-06-02T12:05:00.001Z' }),
      ['time time.future'],
    ],
    ['time too old', withEnvelope(metric, { time: '2025-05-26T11:59:59.999Z' }), ['time time.past']],
    // Metric data
    ['metric NaN value', withData(metric, { value: Number.NaN }), ['data.value finite']],
    ['metric Infinity value', withData(metric, { value: Number.POSITIVE_INFINITY }), ['data.value finite']],
    ['metric -Infinity value', withData(metric, { value: Number.NEGATIVE_INFINITY }), ['data.value finite']],
    ['metric value as string', withData(metric, { value: '12.5' }), ['data.value type']],
    ['metric missing value', withData(metric, { value: undefined }), ['data.value required']],
    ['metric unknown unit', withData(metric, { unit: 'sec' }), ['data.unit enum']],
    ['metric uppercase component', withData(metric, { component: 'Protocol' }), ['data.component pattern']],
    [
      'metric component too long',
      withData(metric, { component: 'c'.repeat(65) }),
      ['data.component max_length'],
    ],
    ['metric name starting with a digit', withData(metric, { name: '99th_latency' }), ['data.name pattern']],
    ['metric typo in a data key', withData(metric, { vaule: 1 }), ['data.vaule unknown_key']],
    ['metric too many dimensions', withData(metric, { dimensions: dims(11) }), ['data.dimensions max_keys']],
    [
      'metric dimension value too long',
      withData(metric, { dimensions: { region: 'x'.repeat(257) } }),
      ['data.dimensions.region max_length'],
    ],
    [
      'metric empty dimension value',
      withData(metric, { dimensions: { region: '' } }),
      ['data.dimensions.region min_length'],
    ],
    [
      'metric dimension value not a string',
      withData(metric, { dimensions: { shard: 3 } }),
      ['data.dimensions.shard type'],
    ],
    [
      'metric dimension key with a dash',
      withData(metric, { dimensions: { 'aws-region': 'x' } }),
      ['data.dimensions.aws-region key_pattern'],
    ],
    [
      'metric dimension key too long',
      withData(metric, { dimensions: { ['k'.repeat(65)]: 'x' } }),
      [`data.dimensions.${'k'.repeat(65)} key_length`],
    ],
    [
      'metric reserved dimension key',
      withData(metric, { dimensions: { component: 'x' } }),
      ['data.dimensions.component reserved_key'],
    ],
    ['metric dimensions null', withData(metric, { dimensions: null }), ['data.dimensions type']],
    // Trade data
    ['trade unknown account', withData(trade, { account: 'IRA' }), ['data.account enum']],
    ['trade lowercase symbol', withData(trade, { symbol: 'tsla' }), ['data.symbol pattern']],
    ['trade symbol too long', withData(trade, { symbol: 'ABCDEFGHIJK' }), ['data.symbol max_length']],
    ['trade zero strike', withData(trade, { strike: 0 }), ['data.strike min']],
    ['trade impossible expiry', withData(trade, { expiry: '2025-02-30' }), ['data.expiry date']],
    ['trade expiry not a date', withData(trade, { expiry: '06/06/2025' }), ['data.expiry pattern']],
    ['trade delta above 1', withData(trade, { delta: 1.5 }), ['data.delta max']],
    ['trade fractional dte', withData(trade, { dte: 2.5 }), ['data.dte integer']],
    ['trade dte beyond 10 years', withData(trade, { dte: 3651 }), ['data.dte max']],
    ['trade negative premium', withData(trade, { premium: -0.01 }), ['data.premium min']],
    ['trade zero contracts', withData(trade, { contracts: 0 }), ['data.contracts min']],
    ['trade NaN pnl', withData(trade, { pnl: Number.NaN }), ['data.pnl finite']],
    ['trade unknown status', withData(trade, { status: 'cancelled' }), ['data.status enum']],
    ['trade unknown week type', withData(trade, { weekType: 'P-XX' }), ['data.weekType enum']],
    ['trade unknown side', withData(trade, { side: 'naked' }), ['data.side enum']],
    ['trade missing right', withData(trade, { right: undefined }), ['data.right required']],
    // Week data
    ['week 53 of a short year', withData(week, { isoWeek: '2021-W53' }), ['data.isoWeek iso_week']],
    ['week 00', withData(week, { isoWeek: '2025-W00' }), ['data.isoWeek iso_week']],
    ['week without W', withData(week, { isoWeek: '2025-23' }), ['data.isoWeek pattern']],
    ['week null actualWeekType', withData(week, { actualWeekType: null }), ['data.actualWeekType enum']],
    ['week return below -100 %', withData(week, { actualReturn: -1.5 }), ['data.actualReturn min']],
    ['week return as percent', withData(week, { predictedReturn: 15 }), ['data.predictedReturn max']],
    [
      'week missing predictedWeekType',
      withData(week, { predictedWeekType: undefined }),
      ['data.predictedWeekType required'],
    ],
    // Market data
    ['market missing price', withData(market, { price: undefined }), ['data.price required']],
    ['market negative price', withData(market, { price: -1 }), ['data.price min']],
    ['market IV as percent', withData(market, { impliedVolatility: 62 }), ['data.impliedVolatility max']],
    ['market VIX above 200', withData(market, { vix: 250 }), ['data.vix max']],
    ['market trade key in market data', withData(market, { strike: 300 }), ['data.strike unknown_key']],
  ];

  it.each(cases)('rejects %s', (_name, input, expected) => {
    // Act
    const errors = errorsOf(input);

    // Assess
    expect(pathsAndRules(errors)).toEqual([...expected].sort());
    for (const error of errors) expect(error.message.length).toBeGreaterThan(0);
  });

  it('reports every error of one event together', () => {
    // Prepare
    const input = {
      ...withData(trade, {
        symbol: 'tsla',
        expiry: '2025-02-30',
        delta: -2,
        pnl: Number.POSITIVE_INFINITY,
        extra: 1,
      }),
      version: 7,
      time: '2030-01-01T00:00:00Z',
    };

    // Act
    const errors = errorsOf(input);

    // Assess
    expect(pathsAndRules(errors)).toEqual(
      [
        'version version.unknown',
        'time time.future',
        'data.symbol pattern',
        'data.expiry date',
        'data.delta min',
        'data.pnl finite',
        'data.extra unknown_key',
      ].sort(),
    );
  });

  it('still checks the envelope when the type is unknown', () => {
    // Prepare
    const input = {
      version: 2,
      id: '',
      type: 'order',
      source: 'svc/trading',
      time: 'yesterday',
      data: { x: 1 },
    };

    // Act
    const errors = errorsOf(input);

    // Assess
    expect(pathsAndRules(errors)).toEqual(
      ['version version.unknown', 'id min_length', 'type type.unknown', 'time time.format'].sort(),
    );
  });

  it('names the known versions and types in the messages', () => {
    // Act
    const errors = errorsOf(withEnvelope(metric, { version: 3, type: 'metrics' }));

    // Assess
    expect(errors.find((e) => e.rule === 'version.unknown')?.message).toContain('known versions: 1');
    expect(errors.find((e) => e.rule === 'type.unknown')?.message).toContain('metric, trade, week, market');
  });

  it('lists the allowed keys when a data key is unknown', () => {
    // Act
    const errors = errorsOf(withData(metric, { vaule: 1 }));

    // Assess
    expect(errors[0]?.message).toContain('component, name, value, unit, dimensions');
  });

  it('reports one issue per bad dimension, and the count', () => {
    // Prepare
    const dimensions = { ...dims(10), 'bad-key': 'x', time: 'y', long: 'z'.repeat(300) };

    // Act
    const errors = errorsOf(withData(metric, { dimensions }));

    // Assess
    expect(pathsAndRules(errors)).toEqual(
      [
        'data.dimensions max_keys',
        'data.dimensions.bad-key key_pattern',
        'data.dimensions.time reserved_key',
        'data.dimensions.long max_length',
      ].sort(),
    );
  });

  it('caps the number of issues of a hostile event', () => {
    // Prepare
    const junk = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`junk${i}`, i]));

    // Act
    const errors = errorsOf(withData(metric, junk));

    // Assess
    expect(errors).toHaveLength(EVENT_LIMITS.maxIssues);
    expect(errors.at(-1)).toMatchObject({ path: '(root)', rule: 'issues.truncated' });
    expect(errors.at(-1)?.message).toContain(`${500 - (EVENT_LIMITS.maxIssues - 1)} more`);
  });
});

describe('parseEventPayload', () => {
  it('accepts a serialised event as string and as UTF-8 bytes', () => {
    // Prepare
    const text = JSON.stringify(withData(metric, { dimensions: { city: 'Zürich' } }));

    // Act
    const results = [
      parseEventPayload(text, { now: NOW }),
      parseEventPayload(new TextEncoder().encode(text), { now: NOW }),
    ];

    // Assess
    expect(results.map((r) => r.ok && r.timeMs)).toEqual([TIME_MS, TIME_MS]);
  });

  it('rejects a payload over the size limit before parsing it', () => {
    // Prepare: valid JSON, so only the size can be the reason.
    const big = JSON.stringify({ ...metric, padding: 'x'.repeat(EVENT_LIMITS.maxPayloadBytes) });

    // Act
    const results = [
      parseEventPayload(big, { now: NOW }),
      parseEventPayload(new TextEncoder().encode(big), { now: NOW }),
    ];

    // Assess
    for (const result of results) {
      expect(result.ok ? [] : pathsAndRules(result.errors)).toEqual(['(root) payload.too_large']);
    }
  });

  it('counts UTF-8 bytes, not characters, against the size limit', () => {
    // Prepare: 12,000 three-byte characters are 36,000 bytes but only 12,000 UTF-16 code units.
    const payload = JSON.stringify({ ...metric, padding: '€'.repeat(12_000) });

    // Act
    const result = parseEventPayload(payload, { now: NOW });

    // Assess
    expect(result.ok ? [] : pathsAndRules(result.errors)).toEqual(['(root) payload.too_large']);
  });

  it('accepts a payload exactly at the size limit as far as size goes', () => {
    // Prepare: pad an unknown key so the payload is exactly the limit; only that key may be reported.
    const bare = JSON.stringify({ ...metric, p: '' });
    const payload = JSON.stringify({ ...metric, p: 'x'.repeat(EVENT_LIMITS.maxPayloadBytes - bare.length) });

    // Act
    const result = parseEventPayload(payload, { now: NOW });

    // Assess
    expect(payload.length).toBe(EVENT_LIMITS.maxPayloadBytes);
    expect(result.ok ? [] : pathsAndRules(result.errors)).toEqual(['p unknown_key']);
  });

  const broken: [string, string, number][] = [
    ['an empty payload', '', 0],
    ['a trailing comma', '{"a":1,}', 7],
    ['a truncated object', '{"version":1,"id":"x"', 21],
    ['a bad literal', '{"a":tru}', 8],
    ['single quotes', "{'a':1}", 1],
    ['trailing garbage', '{"a":1} x', 8],
    ['a raw newline in a string', '{"a":"x\ny"}', 7],
  ];

  it.each(broken)('reports broken JSON (%s) with the parser position', (_name, payload, position) => {
    // Act
    const result = parseEventPayload(payload, { now: NOW });

    // Assess
    expect(result.ok ? [] : pathsAndRules(result.errors)).toEqual(['(root) json']);
    expect(result.ok ? '' : result.errors[0]?.message).toContain(`at position ${position} `);
  });

  it('reports a JSON "__proto__" key instead of losing it', () => {
    // Prepare: JSON.parse makes "__proto__" an own key; copying it by assignment would drop it silently.
    const text = JSON.stringify(metric);
    const payloads = [
      text.replace('"dimensions":{', '"dimensions":{"__proto__":"x",'),
      text.replace('"data":{', '"data":{"__proto__":{"polluted":true},'),
      text.replace('"version":1,', '"__proto__":{"polluted":true},"version":1,'),
    ];

    // Act
    const results = payloads.map((p) => parseEventPayload(p, { now: NOW }));

    // Assess
    expect(results.map((r) => (r.ok ? [] : pathsAndRules(r.errors)))).toEqual([
      ['data.dimensions.__proto__ key_pattern'],
      ['data.__proto__ unknown_key'],
      ['__proto__ unknown_key'],
    ]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('reports bytes that are not UTF-8', () => {
    // Act
    const result = parseEventPayload(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), { now: NOW });

    // Assess
    expect(result.ok ? [] : pathsAndRules(result.errors)).toEqual(['(root) encoding']);
  });

  it('validates the parsed event after size and syntax', () => {
    // Act
    const result = parseEventPayload(JSON.stringify(withData(market, { price: 0 })), { now: NOW });

    // Assess
    expect(result.ok ? [] : pathsAndRules(result.errors)).toEqual(['data.price min']);
  });

  it('keeps the largest valid event below the payload limit', () => {
    // Prepare: every structural bound at its maximum, with multi-byte characters where free text is allowed.
    const dimensions = Object.fromEntries(
      Array.from({ length: EVENT_LIMITS.maxDimensions }, (_, i) => [
        `k${i}`.padEnd(EVENT_LIMITS.maxDimensionKeyLength, 'k'),
        '\u{1F4C8}'.repeat(EVENT_LIMITS.maxDimensionValueLength / 2),
      ]),
    );
    const event = {
      ...metric,
      id: 'i'.repeat(EVENT_LIMITS.maxIdLength),
      source: 's'.repeat(EVENT_LIMITS.maxSourceLength),
      data: {
        component: 'c'.repeat(EVENT_LIMITS.maxComponentLength),
        name: 'n'.repeat(EVENT_LIMITS.maxMetricNameLength),
        value: -1.2345678901234568e-300,
        unit: 'count_per_sec',
        dimensions,
      },
    };
    const payload = JSON.stringify(event);

    // Act
    const result = parseEventPayload(payload, { now: NOW });

    // Assess
    expect(result.ok ? [] : result.errors).toEqual([]);
    expect(new TextEncoder().encode(payload).byteLength).toBeLessThan(EVENT_LIMITS.maxPayloadBytes);
  });
});

describe('validateEventBatch', () => {
  it('returns one result per input, in order, against one now', () => {
    // Prepare
    const inputs = [metric, withData(trade, { expiry: '2025-02-30' }), week, 'junk', market];

    // Act
    const results = validateEventBatch(inputs, { now: NOW });

    // Assess
    expect(results.map((r) => r.ok)).toEqual([true, false, true, false, true]);
    expect(results[1]?.ok === false && pathsAndRules(results[1].errors)).toEqual(['data.expiry date']);
    expect(results[3]?.ok === false && pathsAndRules(results[3].errors)).toEqual(['(root) type']);
  });

  it('leaves repeated ids to ingest deduplication', () => {
    // Act
    const results = validateEventBatch([metric, metric], { now: NOW });

    // Assess
    expect(results.map((r) => r.ok)).toEqual([true, true]);
  });
});

describe('parseIsoTimestamp', () => {
  const valid: [string, string][] = [
    ['2025-06-02T12:00:00Z', '2025-06-02T12:00:00.000Z'],
    ['2025-06-02T12:00:00.5Z', '2025-06-02T12:00:00.500Z'],
    ['2025-06-02T12:00:00.12Z', '2025-06-02T12:00:00.120Z'],
    ['2025-06-02T12:00:00.123456789Z', '2025-06-02T12:00:00.123Z'],
    ['2025-06-02T14:30:00+02:30', '2025-06-02T12:00:00.000Z'],
    ['2025-06-01T23:00:00-13:00', '2025-06-02T12:00:00.000Z'],
    ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
    ['0050-01-01T00:00:00Z', '0050-01-01T00:00:00.000Z'],
  ];

  it.each(valid)('parses %s', (text, expected) => {
    expect(new Date(parseIsoTimestamp(text)!).toISOString()).toBe(expected);
  });

  const invalid = [
    '2025-06-02T12:00:00',
    '2025-06-02T12:00Z',
    '2025-06-02t12:00:00Z',
    '2025-06-02T12:00:00.Z',
    '2025-06-02T12:00:00.1234567890Z',
    '2025-06-02T12:00:00+0200',
    '2025-06-02T12:00:00+24:00',
    '2025-06-02T12:00:60Z',
    '2025-13-02T12:00:00Z',
    '2023-02-29T12:00:00Z',
    '2025-06-02T12:00:00Zjunk',
    '+02025-06-02T12:00:00Z',
  ];

  it.each(invalid)('refuses %s', (text) => {
    expect(parseIsoTimestamp(text)).toBeUndefined();
  });
});

describe('isoWeeksInYear', () => {
  it('agrees with the calendar: a year has week 53 exactly when 28 December falls in it', () => {
    for (let year = 1990; year <= 2060; year++) {
      // Prepare: 28 December is always in the last ISO week of its year.
      const dec28 = new Date(Date.UTC(year, 11, 28));
      const thursday = new Date(dec28);
      thursday.setUTCDate(dec28.getUTCDate() + 3 - ((dec28.getUTCDay() + 6) % 7));
      const jan1 = Date.UTC(thursday.getUTCFullYear(), 0, 1);
      const expected = Math.floor((thursday.getTime() - jan1) / 86_400_000 / 7) + 1;

      // Act + Assess
      expect(isoWeeksInYear(year), String(year)).toBe(expected);
    }
  });
});

describe('locateJsonSyntaxError', () => {
  it('finds nothing wrong in valid JSON that JSON.parse accepts', () => {
    const texts = [
      JSON.stringify(metric),
      '  [1, -2.5e-3, 0, "a\\u00e9\\n", true, false, null, {}, [], {"a": [{"b": {}}]}]  ',
      '"just a string"',
      '0',
    ];
    for (const text of texts) expect(locateJsonSyntaxError(text)).toBeUndefined();
  });

  it('handles deep nesting without recursion', () => {
    const text = `${'['.repeat(100_000)}${']'.repeat(99_999)}`;
    expect(locateJsonSyntaxError(text)).toMatchObject({ position: 199_999 });
  });

  it('gives line and column', () => {
    expect(locateJsonSyntaxError('{\n  "a": 1\n  "b": 2\n}')).toMatchObject({
      position: 13,
      line: 3,
      column: 3,
    });
  });
});

describe('formatValidationIssues', () => {
  it('summarises issues with path, message and rule', () => {
    // Prepare
    const errors = errorsOf(withData(metric, { value: Number.NaN, unit: 'sec' }));

    // Act
    const summary = formatValidationIssues(errors, 1);

    // Assess
    expect(summary).toBe('data.value: must be a finite number (got NaN) [finite]; and 1 more');
  });
});

describe('constants', () => {
  it('knows the 11 ALL-USE week types', () => {
    expect(WEEK_TYPES).toHaveLength(11);
  });
});
