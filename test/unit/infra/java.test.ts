import { describe, expect, it } from 'vitest';
import { parseJavaMajor, requireJava } from '../../../infra/java/java.ts';
import { AdclickError, ErrorCodes } from '../../../shared/errors/errors.ts';

describe('parseJavaMajor', () => {
  it.each([
    ['openjdk version "17.0.15" 2025-04-15', 17],
    ['openjdk version "21" 2023-09-19', 21],
    ['java version "1.8.0_292"', 8],
    ['openjdk version "11.0.2" 2019-01-15', 11],
    ['something else', undefined],
  ])('%s → %s', (output, major) => {
    expect(parseJavaMajor(output)).toBe(major);
  });
});

describe('requireJava', () => {
  it('says what to install when java is missing', async () => {
    const error = await requireJava('/nonexistent/bin/java').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AdclickError);
    expect((error as AdclickError).code).toBe(ErrorCodes.INFRA);
    expect((error as AdclickError).message).toMatch(/is not on PATH\. Install a JDK 17 or newer/);
  });
});
