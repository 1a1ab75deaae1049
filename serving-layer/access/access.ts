import { createHash, timingSafeEqual } from 'node:crypto';
import type { ApiToken } from '../../shared/config/types.ts';
import { AdclickError, ErrorCodes } from '../../shared/errors/errors.ts';

/** Who is asking. `open` means no tokens are configured: everything is visible to everyone. */
export type Principal =
  | { kind: 'open' }
  | { kind: 'admin'; name: string }
  | { kind: 'scoped'; name: string; adPrefixes: readonly string[] };

interface Entry {
  digest: Buffer;
  token: ApiToken;
  name: string;
}

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/**
 * Bearer-token access (SPEC A8). Tokens are compared as SHA-256 digests in constant time, and a
 * principal carries only a short name derived from the digest — never the token — so nothing
 * that logs a principal can leak a token.
 */
export class AccessControl {
  readonly #entries: Entry[];

  constructor(tokens: readonly ApiToken[]) {
    this.#entries = tokens.map((token) => {
      const d = digest(token.token);
      return { digest: d, token, name: `token-${d.toString('hex').slice(0, 8)}` };
    });
  }

  /** True when no tokens are configured (the local default). */
  get open(): boolean {
    return this.#entries.length === 0;
  }

  /**
   * Resolves an `Authorization` header.
   *
   * @throws AdclickError `UNAUTHENTICATED` when a token is required and missing or unknown.
   */
  authenticate(authorization: string | undefined): Principal {
    if (this.open) return { kind: 'open' };
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (match === null) {
      throw new AdclickError(
        ErrorCodes.UNAUTHENTICATED,
        'a bearer token is required (Authorization: Bearer …)',
      );
    }
    const presented = digest(match[1]!);
    let found: Entry | undefined;
    // Every entry is compared so the time taken does not reveal which one matched.
    for (const e of this.#entries) if (timingSafeEqual(e.digest, presented)) found ??= e;
    if (found === undefined) throw new AdclickError(ErrorCodes.UNAUTHENTICATED, 'unknown bearer token');
    return found.token.role === 'admin'
      ? { kind: 'admin', name: found.name }
      : { kind: 'scoped', name: found.name, adPrefixes: found.token.adPrefixes };
  }
}

/** Whether `principal` may see `adId`. */
export function canSee(principal: Principal, adId: string): boolean {
  return principal.kind !== 'scoped' || principal.adPrefixes.some((p) => adId.startsWith(p));
}

/** @throws AdclickError `FORBIDDEN` when `principal` may not see `adId`. */
export function assertCanSee(principal: Principal, adId: string): void {
  if (!canSee(principal, adId)) {
    throw new AdclickError(ErrorCodes.FORBIDDEN, 'this token does not give access to that ad', {
      details: { parameter: 'ad_id' },
    });
  }
}

/** @throws AdclickError `FORBIDDEN` unless `principal` sees everything (admin, or an open API). */
export function assertSeesAll(principal: Principal, what: string): void {
  if (principal.kind === 'scoped') {
    throw new AdclickError(ErrorCodes.FORBIDDEN, `${what} needs an admin token`);
  }
}
