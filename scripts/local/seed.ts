/**
 * A small, deterministic sample of ALL-USE data for `npm start`: platform metrics for the last hour,
 * market quotes, trade outcomes and weekly protocol records. It goes in the way producers send it:
 * through the collector library onto the stream, then the real ingest path.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { REFERENCE_KEYS } from '../../functions/commons/lake-inputs.ts';
import type { AllUseEvent } from '../../src/core/events/index.ts';
import { mulberry32, normal } from '../../src/core/random.ts';

const ROOT_DIR = resolve(fileURLToPath(new URL('../..', import.meta.url)));

const COMPONENTS = ['protocol-engine', 'trading-engine', 'account-manager'] as const;

function isoWeek(ms: number): string {
  const d = new Date(ms);
  const day = (d.getUTCDay() + 6) % 7;
  d.setUTCDate(d.getUTCDate() - day + 3);
  const year = d.getUTCFullYear();
  const jan4 = new Date(Date.UTC(year, 0, 4));
  const week =
    1 + Math.round(((d.getTime() - jan4.getTime()) / 86_400_000 - 3 + ((jan4.getUTCDay() + 6) % 7)) / 7);
  return `${year}-W${String(week).padStart(2, '0')}`;
}

export function sampleEvents(now: number = Date.now()): AllUseEvent[] {
  const random = mulberry32(20261124);
  const start = Math.floor(now / 60_000) * 60_000 - 60 * 60_000;
  const events: AllUseEvent[] = [];
  for (let minute = 0; minute < 60; minute++) {
    const t = new Date(start + minute * 60_000).toISOString();
    for (const component of COMPONENTS) {
      const base = { version: 1 as const, source: `sample/${component}`, time: t };
      const spike = component === 'trading-engine' && minute === 42 ? 6 : 1;
      events.push(
        {
          ...base,
          id: `sample-${component}-latency-${minute}`,
          type: 'metric',
          data: {
            component,
            name: 'latency_ms',
            value: Math.round((40 + 15 * random()) * spike * 10) / 10,
            unit: 'ms',
            dimensions: { region: 'us-east-1' },
          },
        },
        {
          ...base,
          id: `sample-${component}-errors-${minute}`,
          type: 'metric',
          data: {
            component,
            name: 'error_rate',
            value: Math.round(random() * 0.02 * 1e4) / 1e4,
            unit: 'ratio',
          },
        },
        {
          ...base,
          id: `sample-${component}-throughput-${minute}`,
          type: 'metric',
          data: {
            component,
            name: 'throughput_ops_sec',
            value: Math.round(800 + 400 * random()),
            unit: 'count_per_sec',
          },
        },
      );
    }
    if (minute % 5 === 0) {
      for (const [symbol, price] of [
        ['TSLA', 242.1],
        ['NVDA', 131.4],
        ['AAPL', 228.9],
      ] as const) {
        events.push({
          version: 1,
          id: `sample-quote-${symbol}-${minute}`,
          type: 'market',
          source: 'sample/market-data',
          time: t,
          data: {
            symbol,
            price: Math.round(price * (1 + 0.004 * (random() - 0.5)) * 100) / 100,
            impliedVolatility: Math.round((0.35 + 0.1 * random()) * 1000) / 1000,
            vix: 17.2,
          },
        });
      }
    }
  }
  const expiry = new Date(now + 7 * 86_400_000).toISOString().slice(0, 10);
  const trades = [
    {
      account: 'GEN',
      symbol: 'TSLA',
      right: 'put',
      strike: 230,
      delta: -0.45,
      premium: 4.1,
      pnl: 410,
      status: 'expired',
      weekType: 'P-EW',
    },
    {
      account: 'REV',
      symbol: 'AAPL',
      right: 'put',
      strike: 220,
      delta: -0.34,
      premium: 2.2,
      pnl: 220,
      status: 'expired',
      weekType: 'P-EW',
    },
    {
      account: 'COM',
      symbol: 'NVDA',
      right: 'call',
      strike: 140,
      delta: 0.24,
      premium: 1.3,
      pnl: 130,
      status: 'closed',
      weekType: 'C-WAP',
    },
  ] as const;
  trades.forEach((trade, i) => {
    events.push({
      version: 1,
      id: `sample-trade-${i}`,
      type: 'trade',
      source: 'sample/trading-engine',
      time: new Date(now - 2 * 3_600_000).toISOString(),
      data: { ...trade, side: 'short', expiry, dte: 7, contracts: 10 },
    } as AllUseEvent);
  });
  for (const account of ['GEN', 'REV', 'COM'] as const) {
    events.push({
      version: 1,
      id: `sample-week-${account}-${isoWeek(now)}`,
      type: 'week',
      source: 'sample/protocol-engine',
      time: new Date(now - 3_600_000).toISOString(),
      data: {
        account,
        isoWeek: isoWeek(now),
        predictedWeekType: 'P-EW',
        actualWeekType: 'P-EW',
        predictedReturn: 0.012,
        actualReturn: 0.0135,
      },
    });
  }
  return events;
}

/** The shared benchmark data (prices and VIX), when this checkout sits next to ../shared/data. */
export const REFERENCE_DATA = {
  prices: (symbol: string) => resolve(ROOT_DIR, '..', 'shared', 'data', 'prices', 'lean', `${symbol}.csv`),
  vix: resolve(ROOT_DIR, '..', 'shared', 'data', 'prices', 'vix', 'vix-daily.csv'),
} as const;

/**
 * Seeded synthetic daily prices and VIX in the shared files' format (weekdays 2000-2021): a random walk whose
 * volatility follows a mean-reverting process, and a VIX that tracks that volatility. For tests and for
 * checkouts without ../shared/data; nothing is learned from it but the plumbing.
 */
export function syntheticReferenceCsv(seed = 1): { prices: string; vix: string } {
  const rng = mulberry32(seed);
  const prices = ['date,open,high,low,close,volume'];
  const vix = ['DATE,OPEN,HIGH,LOW,CLOSE'];
  let close = 100;
  let vol = 0.012;
  for (let t = Date.UTC(2000, 0, 3); t <= Date.UTC(2021, 11, 31); t += 86_400_000) {
    const day = new Date(t).getUTCDay();
    if (day === 0 || day === 6) continue;
    vol = Math.min(0.06, Math.max(0.004, vol + 0.05 * (0.012 - vol) + normal(rng, 0, 0.0012)));
    const open = close * Math.exp(normal(rng, 0, vol / 4));
    close = open * Math.exp(normal(rng, 0.0003, vol));
    const high = Math.max(open, close) * (1 + Math.abs(normal(rng, 0, vol / 3)));
    const low = Math.min(open, close) * (1 - Math.abs(normal(rng, 0, vol / 3)));
    const date = new Date(t).toISOString().slice(0, 10);
    prices.push(
      [date, open, high, low, close].map((v) => (typeof v === 'number' ? v.toFixed(4) : v)).join(',') +
        ',1000000',
    );
    const level = Math.max(9, vol * Math.sqrt(252) * 110 + normal(rng, 0, 0.8));
    vix.push(
      [date, level, level, level, level].map((v) => (typeof v === 'number' ? v.toFixed(2) : v)).join(','),
    );
  }
  return { prices: `${prices.join('\n')}\n`, vix: `${vix.join('\n')}\n` };
}

/**
 * Uploads daily prices of `symbols` and the VIX to the lake (reference/), where the training workflow's
 * week-movement data set, the alluse-backtest objective and parameter reviews read them: the shared data when
 * it is there (`source: 'auto'`, the default), else (or with `source: 'synthetic'`) seeded synthetic series.
 */
export async function seedReferenceData(
  s3: S3Client,
  bucket: string,
  symbols: readonly string[],
  options: { readonly source?: 'auto' | 'shared' | 'synthetic' } = {},
): Promise<{ pricesUris: string[]; vixUri: string; source: 'shared' | 'synthetic' }> {
  const wanted = options.source ?? 'auto';
  const haveShared =
    existsSync(REFERENCE_DATA.vix) && symbols.every((s) => existsSync(REFERENCE_DATA.prices(s)));
  if (wanted === 'shared' && !haveShared)
    throw new Error(`reference data is missing under ${resolve(ROOT_DIR, '..', 'shared', 'data', 'prices')}`);
  const source = wanted === 'synthetic' || !haveShared ? 'synthetic' : 'shared';
  const put = (key: string, body: Buffer | string) =>
    s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'text/csv' }));
  const pricesUris: string[] = [];
  for (const [i, symbol] of symbols.entries()) {
    const key = REFERENCE_KEYS.prices(symbol);
    await put(
      key,
      source === 'shared' ? readFileSync(REFERENCE_DATA.prices(symbol)) : syntheticReferenceCsv(i + 1).prices,
    );
    pricesUris.push(`s3://${bucket}/${key}`);
  }
  await put(
    REFERENCE_KEYS.vix,
    source === 'shared' ? readFileSync(REFERENCE_DATA.vix) : syntheticReferenceCsv(1).vix,
  );
  return { pricesUris, vixUri: `s3://${bucket}/${REFERENCE_KEYS.vix}`, source };
}
