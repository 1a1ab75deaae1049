import { describe, expect, it } from 'vitest';
import { AdclickError, ErrorCodes, requireWholeNumber } from '../../../../shared/errors/errors.ts';

describe('requireWholeNumber', () => {
  it('accepts whole numbers from the minimum on', () => {
    expect(() => requireWholeNumber('a.b', 0)).not.toThrow();
    expect(() => requireWholeNumber('a.b', 1, 1)).not.toThrow();
  });

  it.each([
    [-1, 0],
    [0.5, 0],
    [Number.NaN, 0],
    [Number.POSITIVE_INFINITY, 0],
    [0, 1],
  ])('refuses %s (minimum %s) as CONFIG_INVALID naming the path', (value, min) => {
    const error = (() => {
      try {
        requireWholeNumber('cache.ttlMs', value, min);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(AdclickError);
    expect((error as AdclickError).code).toBe(ErrorCodes.CONFIG_INVALID);
    expect((error as AdclickError).message).toBe(`cache.ttlMs must be a whole number ≥ ${min}`);
    expect((error as AdclickError).details).toEqual({ path: 'cache.ttlMs' });
  });
});
