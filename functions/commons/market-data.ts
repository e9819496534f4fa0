/**
 * Daily bars and the aligned VIX of a symbol, read from the lake's reference/ prefix once per container
 * (the alluse-backtest objective and parameter reviews use them). Upload new symbols as
 * `reference/prices/<SYMBOL>.csv` (date,open,high,low,close[,adj_close],volume) next to
 * `reference/vix/vix-daily.csv`.
 */
import { S3ArtifactStore } from '../../src/adapters/s3-artifact-store.ts';
import { alignVix, parsePriceCsv, parseVixCsv } from '../../src/core/backtest/index.ts';
import type { MarketData } from '../../src/core/optimise/objectives.ts';
import { requiredEnv } from './env.ts';
import { clients, lazy } from './ports.ts';

/** Where reference data lives in the lake. */
export const REFERENCE_KEYS = {
  prices: (symbol: string) => `reference/prices/${symbol}.csv`,
  vix: 'reference/vix/vix-daily.csv',
} as const;

/** VIX closes carried over at most this many missing trading days (holidays of one market only). */
const VIX_FILL_DAYS = 3;

const objects = lazy(() => new S3ArtifactStore({ client: clients.s3 }));
const cache = new Map<string, Promise<MarketData>>();

/** Bars and aligned VIX of `symbol` (LAKE_BUCKET_NAME), cached per container; a failed read is not cached. */
export function loadMarketData({ symbol }: { readonly symbol: string }): Promise<MarketData> {
  let cached = cache.get(symbol);
  if (!cached) {
    const bucket = requiredEnv('LAKE_BUCKET_NAME');
    const text = async (key: string) =>
      new TextDecoder().decode(await objects().get(`s3://${bucket}/${key}`));
    cached = (async () => {
      const [pricesText, vixText] = await Promise.all([
        text(REFERENCE_KEYS.prices(symbol)),
        text(REFERENCE_KEYS.vix),
      ]);
      const bars = parsePriceCsv(pricesText, symbol);
      return { bars, vix: alignVix(bars, parseVixCsv(vixText), { maxFillDays: VIX_FILL_DAYS }).vix };
    })();
    cached.catch(() => cache.delete(symbol));
    cache.set(symbol, cached);
  }
  return cached;
}
