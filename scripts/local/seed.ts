/**
 * A small, deterministic sample of ALL-USE data for `npm start`: platform metrics for the last hour,
 * market quotes, trade outcomes and weekly protocol records. It goes in the way producers send it:
 * through the collector library onto the stream, then the real ingest path.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { AllUseEvent } from '../../src/core/events/index.ts';
import { mulberry32 } from '../../src/core/random.ts';

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

/** The shared benchmark data, uploaded once to the local lake's reference/ prefix (prices and VIX). */
export const REFERENCE_DATA = {
  prices: (symbol: string) => ({
    file: resolve(ROOT_DIR, '..', 'shared', 'data', 'prices', 'lean', `${symbol}.csv`),
    key: `reference/prices/${symbol}.csv`,
  }),
  vix: {
    file: resolve(ROOT_DIR, '..', 'shared', 'data', 'prices', 'vix', 'vix-daily.csv'),
    key: 'reference/vix/vix-daily.csv',
  },
} as const;

/**
 * Uploads daily prices of `symbols` and the VIX to the lake (reference/), where the training workflow's
 * week-movement data set and the alluse-backtest objective read them. Missing files are an error naming them.
 */
export async function seedReferenceData(
  s3: S3Client,
  bucket: string,
  symbols: readonly string[],
): Promise<string[]> {
  const items = [...symbols.map((s) => REFERENCE_DATA.prices(s)), REFERENCE_DATA.vix];
  for (const { file, key } of items) {
    if (!existsSync(file))
      throw new Error(`reference data ${file} is missing (see ../shared/data/README.md)`);
    await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: readFileSync(file), ContentType: 'text/csv' }),
    );
  }
  return items.map((i) => `s3://${bucket}/${i.key}`);
}
