/** Reads a required environment variable once, at module load, and names it when it is missing. */
export function requiredEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (value === undefined || value === '') {
    throw new Error(`Missing required environment variable ${name}`);
  }
  return value;
}

/** Reads an optional variable restricted to a set of values, naming the variable and the allowed values. */
export function oneOfEnv<T extends string>(
  name: string,
  allowed: readonly T[],
  fallback: T,
  env: NodeJS.ProcessEnv = process.env,
): T {
  const value = env[name];
  if (value === undefined || value === '') return fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new Error(`Environment variable ${name}=${value} is not one of: ${allowed.join(', ')}`);
  }
  return value as T;
}
