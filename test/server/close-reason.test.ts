import { describe, expect, it } from 'vitest';
import { shortCloseReason } from '../../src/main/core/server/connection';

const bytes = (s: string) => new TextEncoder().encode(s).length;

describe('shortCloseReason', () => {
  it('keeps a reason that fits the 123 bytes of a Close body after its code (RFC 6455 §5.5)', () => {
    expect(shortCloseReason('invalid UTF-8 at byte 4')).toBe('invalid UTF-8 at byte 4');
    expect(shortCloseReason('a'.repeat(123))).toBe('a'.repeat(123));
  });

  it('cuts a longer one to at most 123 bytes, ending in an ellipsis', () => {
    expect(shortCloseReason('a'.repeat(124))).toBe(`${'a'.repeat(120)}…`);
    expect(bytes(shortCloseReason('é'.repeat(100)))).toBeLessThanOrEqual(123);
  });

  it('never splits a surrogate pair, so the reason stays valid UTF-8', () => {
    for (let lead = 0; lead < 4; lead++) {
      const cut = shortCloseReason('a'.repeat(lead) + '😀'.repeat(40));
      expect(bytes(cut)).toBeLessThanOrEqual(123);
      expect(cut).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
      expect(new TextDecoder('utf-8', { fatal: true }).decode(new TextEncoder().encode(cut))).toBe(cut);
    }
  });
});
