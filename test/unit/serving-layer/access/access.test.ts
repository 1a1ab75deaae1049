import { describe, expect, it } from 'vitest';
import { AccessControl, assertCanSee, canSee } from '../../../../serving-layer/access/access.ts';

const tokens = [
  { token: 'admin-secret-1', role: 'admin' as const, adPrefixes: [] },
  { token: 'acme-secret-22', role: 'scoped' as const, adPrefixes: ['acme-', 'ac2-'] },
];

describe('AccessControl', () => {
  it('is open with no tokens', () => {
    const ac = new AccessControl([]);
    expect(ac.open).toBe(true);
    expect(ac.authenticate(undefined)).toEqual({ kind: 'open' });
  });

  it('resolves admin and scoped tokens, never carrying the token itself', () => {
    const ac = new AccessControl(tokens);
    const admin = ac.authenticate('Bearer admin-secret-1');
    expect(admin.kind).toBe('admin');
    const scoped = ac.authenticate('bearer acme-secret-22');
    expect(scoped).toMatchObject({ kind: 'scoped', adPrefixes: ['acme-', 'ac2-'] });
    expect(JSON.stringify([admin, scoped])).not.toMatch(/secret/);
  });

  it.each([undefined, '', 'Basic abc', 'Bearer', 'Bearer wrong-token', 'Bearer admin-secret-1x'])(
    '%j → UNAUTHENTICATED',
    (header) => {
      expect(() => new AccessControl(tokens).authenticate(header)).toThrow(
        expect.objectContaining({ code: 'UNAUTHENTICATED' }),
      );
    },
  );

  it('scopes ads by prefix', () => {
    const scoped = new AccessControl(tokens).authenticate('Bearer acme-secret-22');
    expect(canSee(scoped, 'acme-7')).toBe(true);
    expect(canSee(scoped, 'ac2-1')).toBe(true);
    expect(canSee(scoped, 'other-1')).toBe(false);
    expect(() => assertCanSee(scoped, 'other-1')).toThrow(expect.objectContaining({ code: 'FORBIDDEN' }));
    expect(canSee({ kind: 'open' }, 'x')).toBe(true);
  });
});
