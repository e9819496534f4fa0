/**
 * The series key: one string that names a series (component + metric + dimensions) so that every store,
 * the catalogue and the API agree on what "the same series" is.
 *
 * Format: `<component>|<metric>|<k1>=<v1>,<k2>=<v2>` with dimensions sorted by key (code-unit order, not
 * locale order, so the key never depends on the machine). The four structural characters and `%` are
 * percent-encoded inside each part, which keeps the key reversible and makes `<component>|` a safe prefix
 * for "all series of one component".
 */

/** The identity of a series, without its points. */
export interface SeriesIdentity {
  readonly component: string;
  readonly metric: string;
  readonly dimensions: Readonly<Record<string, string>>;
}

const RESERVED = /[%|=,]/g;

/** Percent-encodes the characters the key format reserves (`%`, `|`, `=`, `,`); everything else is kept. */
export function escapeKeyPart(part: string): string {
  return part.replace(
    RESERVED,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`,
  );
}

/** Inverse of {@link escapeKeyPart}. */
export function unescapeKeyPart(part: string): string {
  return part.replace(/%([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

function compareCodeUnits(a: string, b: string): number {
  if (a < b) return -1;
  return a > b ? 1 : 0;
}

/**
 * Builds the stable key of a series.
 *
 * @example
 * seriesKey({ component: 'protocol-engine', metric: 'latency_ms', dimensions: { region: 'eu', az: 'a' } })
 * // => 'protocol-engine|latency_ms|az=a,region=eu'
 */
export function seriesKey(series: SeriesIdentity): string {
  const dimensions = Object.keys(series.dimensions)
    .sort(compareCodeUnits)
    .map((name) => `${escapeKeyPart(name)}=${escapeKeyPart(series.dimensions[name] ?? '')}`)
    .join(',');
  return `${escapeKeyPart(series.component)}|${escapeKeyPart(series.metric)}|${dimensions}`;
}

/** The prefix shared by the keys of every series of one component (for prefix queries). */
export function componentKeyPrefix(component: string): string {
  return `${escapeKeyPart(component)}|`;
}

/**
 * Parses a key built by {@link seriesKey}.
 *
 * @throws {Error} naming the key when it does not have the `component|metric|dimensions` shape.
 */
export function parseSeriesKey(key: string): SeriesIdentity {
  const parts = key.split('|');
  if (parts.length !== 3) {
    throw new Error(`series key "${key}": must have the form component|metric|dimensions (three parts)`);
  }
  const [component, metric, encodedDimensions] = parts as [string, string, string];
  const dimensions: Record<string, string> = {};
  if (encodedDimensions !== '') {
    for (const pair of encodedDimensions.split(',')) {
      const separator = pair.indexOf('=');
      if (separator < 0) {
        throw new Error(`series key "${key}": dimension "${pair}" must have the form name=value`);
      }
      dimensions[unescapeKeyPart(pair.slice(0, separator))] = unescapeKeyPart(pair.slice(separator + 1));
    }
  }
  return { component: unescapeKeyPart(component), metric: unescapeKeyPart(metric), dimensions };
}
