/**
 * Locates the first syntax error of a JSON text. Runs only after JSON.parse has failed: V8's messages do not
 * always carry a position ("Unexpected end of JSON input") and some echo the payload back, which does not
 * belong in a quarantine reason. Iterative, so deeply nested input cannot overflow the stack.
 */

export interface JsonSyntaxError {
  /** Offset (UTF-16 code units) of the first character that cannot continue a valid JSON text. */
  readonly position: number;
  readonly line: number;
  readonly column: number;
  readonly reason: string;
}

const OBJECT = 1;
const ARRAY = 2;

function isWhitespace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isHex(c: number): boolean {
  return isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

function show(text: string, at: number): string {
  const c = text.charCodeAt(at);
  if (Number.isNaN(c)) return 'end of input';
  if (c < 32 || c === 127) return `control character U+${c.toString(16).padStart(4, '0').toUpperCase()}`;
  return `'${text[at]}'`;
}

/**
 * Finds the first syntax error in `text` (RFC 8259 grammar).
 *
 * @returns the error with its position, line and column, or `undefined` when `text` is valid JSON.
 * @example locateJsonSyntaxError('{"a":1,}') // { position: 7, line: 1, column: 8, reason: "expected a double-quoted property name, found '}'" }
 */
export function locateJsonSyntaxError(text: string): JsonSyntaxError | undefined {
  const n = text.length;
  const stack: number[] = [];
  let i = 0;

  const skipWhitespace = (): void => {
    while (i < n && isWhitespace(text.charCodeAt(i))) i++;
  };
  const fail = (expected: string): JsonSyntaxError => {
    let line = 1;
    let lineStart = 0;
    for (let k = 0; k < i; k++) {
      if (text.charCodeAt(k) === 10) {
        line++;
        lineStart = k + 1;
      }
    }
    return {
      position: i,
      line,
      column: i - lineStart + 1,
      reason: `expected ${expected}, found ${show(text, i)}`,
    };
  };

  /** Scans a string starting at its opening quote; leaves `i` after the closing quote. */
  const scanString = (): JsonSyntaxError | undefined => {
    i++;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 34) {
        i++;
        return undefined;
      }
      if (c < 32) return fail('a closing quote (control characters must be escaped)');
      if (c === 92) {
        i++;
        const e = text.charCodeAt(i);
        if (e === 117 /* u */) {
          for (let k = 0; k < 4; k++) {
            i++;
            if (!isHex(text.charCodeAt(i))) return fail('4 hex digits after \\u');
          }
        } else if (i >= n || !'"\\/bfnrt'.includes(text[i]!)) {
          return fail('an escape character (one of " \\ / b f n r t u)');
        }
      }
      i++;
    }
    return fail('a closing quote');
  };

  const scanNumber = (): JsonSyntaxError | undefined => {
    if (text.charCodeAt(i) === 45) i++;
    if (text.charCodeAt(i) === 48) {
      i++;
    } else if (isDigit(text.charCodeAt(i))) {
      while (isDigit(text.charCodeAt(i))) i++;
    } else {
      return fail('a digit');
    }
    if (text.charCodeAt(i) === 46) {
      i++;
      if (!isDigit(text.charCodeAt(i))) return fail('a digit after the decimal point');
      while (isDigit(text.charCodeAt(i))) i++;
    }
    const e = text.charCodeAt(i);
    if (e === 101 || e === 69) {
      i++;
      const sign = text.charCodeAt(i);
      if (sign === 43 || sign === 45) i++;
      if (!isDigit(text.charCodeAt(i))) return fail('a digit in the exponent');
      while (isDigit(text.charCodeAt(i))) i++;
    }
    return undefined;
  };

  const scanLiteral = (literal: string): JsonSyntaxError | undefined => {
    for (let k = 0; k < literal.length; k++, i++) {
      if (text.charCodeAt(i) !== literal.charCodeAt(k)) return fail(`'${literal}'`);
    }
    return undefined;
  };

  /** Scans one value; pushes containers instead of recursing. Returns true when a container was opened. */
  const scanValue = (): JsonSyntaxError | boolean => {
    skipWhitespace();
    const c = text.charCodeAt(i);
    let error: JsonSyntaxError | undefined;
    if (c === 123 /* { */ || c === 91 /* [ */) {
      i++;
      skipWhitespace();
      const close = c === 123 ? 125 : 93;
      if (text.charCodeAt(i) === close) {
        i++;
        return false;
      }
      stack.push(c === 123 ? OBJECT : ARRAY);
      return true;
    }
    if (c === 34) error = scanString();
    else if (c === 45 || isDigit(c)) error = scanNumber();
    else if (c === 116) error = scanLiteral('true');
    else if (c === 102) error = scanLiteral('false');
    else if (c === 110) error = scanLiteral('null');
    else error = fail('a JSON value');
    return error ?? false;
  };

  const scanKey = (): JsonSyntaxError | undefined => {
    skipWhitespace();
    if (text.charCodeAt(i) !== 34) return fail('a double-quoted property name');
    const error = scanString();
    if (error) return error;
    skipWhitespace();
    if (text.charCodeAt(i) !== 58) return fail("':' after the property name");
    i++;
    return undefined;
  };

  let expectValue = true;
  for (;;) {
    if (expectValue) {
      const opened = scanValue();
      if (typeof opened !== 'boolean') return opened;
      if (opened && stack.at(-1) === OBJECT) {
        const error = scanKey();
        if (error) return error;
        continue;
      }
      if (opened) continue;
    }
    skipWhitespace();
    const top = stack.at(-1);
    if (top === undefined) return i < n ? fail('end of input after the JSON value') : undefined;
    const c = text.charCodeAt(i);
    const close = top === OBJECT ? 125 : 93;
    if (c === 44 /* , */) {
      i++;
      if (top === OBJECT) {
        const error = scanKey();
        if (error) return error;
      }
      expectValue = true;
    } else if (c === close) {
      i++;
      stack.pop();
      expectValue = false;
    } else {
      return fail(top === OBJECT ? "',' or '}'" : "',' or ']'");
    }
  }
}
