/**
 * Inputs read from the lake once per container: daily bars and the aligned VIX of a symbol from the
 * reference/ prefix (the alluse-backtest objective and parameter reviews), and training data sets from
 * datasets/ (the model-training objective). Upload new symbols as `reference/prices/<SYMBOL>.csv`
 * (date,open,high,low,close[,adj_close],volume) next to `reference/vix/vix-daily.csv`.
 */
import { alignVix, parsePriceCsv, parseVixCsv } from '../../src/core/backtest/index.ts';
import type { Dataset } from '../../src/core/learning/index.ts';
import type { MarketData } from '../../src/core/optimise/objectives.ts';
import { requiredEnv } from './env.ts';
import { objectStore } from './ports.ts';

/** Where reference data lives in the lake. */
export const REFERENCE_KEYS = {
  prices: (symbol: string) => `reference/prices/${symbol}.csv`,
  vix: 'reference/vix/vix-daily.csv',
} as const;

/** VIX closes carried over at most this many missing trading days (holidays of one market only). */
const VIX_FILL_DAYS = 3;

const cache = new Map<string, Promise<MarketData>>();

/** Bars and aligned VIX of `symbol` (LAKE_BUCKET_NAME), cached per container; a failed read is not cached. */
export function loadMarketData({ symbol }: { readonly symbol: string }): Promise<MarketData> {
  let cached = cache.get(symbol);
  if (!cached) {
    const bucket = requiredEnv('LAKE_BUCKET_NAME');
    const text = async (key: string) =>
      new TextDecoder().decode(await objectStore().get(`s3://${bucket}/${key}`));
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

const datasets = new Map<string, Promise<Dataset>>();

/** A training data set (the JSON the training workflow stores under datasets/), cached per container. */
export function loadDataset(uri: string): Promise<Dataset> {
  let cached = datasets.get(uri);
  if (!cached) {
    cached = objectStore()
      .get(uri)
      .then((bytes) => JSON.parse(new TextDecoder().decode(bytes)) as Dataset);
    cached.catch(() => datasets.delete(uri));
    datasets.clear(); // one data set per container is enough: a study tunes on one
    datasets.set(uri, cached);
  }
  return cached;
}
