/**
 * Random sampler: every active parameter uniform on its internal scale (log-uniform for log parameters).
 */
import type { Sampler, SamplerContext, Suggestion } from '../types.ts';
import { randomParams } from './common.ts';

/**
 * Uniform random search; the baseline every other sampler must beat.
 *
 * @example
 * new Study({ space, sampler: new RandomSampler() });
 */
export class RandomSampler implements Sampler {
  readonly name = 'random';
  sample(ctx: SamplerContext): Suggestion {
    return { params: randomParams(ctx.space, ctx.rng) };
  }
}
