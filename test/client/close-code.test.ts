import { describe, expect, it } from 'vitest';
import { buildClosePayload, closeCodeProblem, validateCloseCode } from '../../src/main/core/client/close-code';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('close codes (RFC 6455 §7.4)', () => {
  it('accepts the defined, registered, library and private ranges', () => {
    for (const code of [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999]) {
      expect(closeCodeProblem(code), String(code)).toBeNull();
    }
  });

  it('refuses reserved and local-only codes with the reason in words', () => {
    expect(validateCloseCode(1004)).toEqual({ ok: false, error: '1004 is reserved (RFC 6455 §7.4.1)' });
    expect(validateCloseCode(1005)).toMatchObject({ ok: false, error: expect.stringMatching(/^1005 \(no status received\) must not be sent/) });
    expect(validateCloseCode(1006)).toMatchObject({ ok: false, error: expect.stringMatching(/^1006 \(abnormal closure\) must not be sent/) });
    expect(validateCloseCode(1015)).toMatchObject({ ok: false, error: expect.stringMatching(/^1015 \(TLS handshake failure\) must not be sent/) });
    expect(validateCloseCode(999)).toMatchObject({ ok: false, error: expect.stringMatching(/0–999/) });
    expect(validateCloseCode(2000)).toMatchObject({ ok: false, error: expect.stringMatching(/1016–2999, reserved/) });
    expect(validateCloseCode(5000)).toMatchObject({ ok: false, error: expect.stringMatching(/above 4999/) });
  });

  it('builds the body: 2-byte big-endian code, then the UTF-8 reason (§5.5.1)', () => {
    expect(buildClosePayload(1000, 'bye')).toEqual({ ok: true, payload: new Uint8Array([0x03, 0xe8, 0x62, 0x79, 0x65]), warnings: [] });
    expect(hex((buildClosePayload(4001, 'é') as { payload: Uint8Array }).payload)).toBe('0fa1c3a9');
    expect(buildClosePayload(undefined)).toEqual({ ok: true, payload: new Uint8Array(0), warnings: [] });
  });

  it('refuses a reason without a code', () => {
    expect(validateCloseCode(undefined, 'why')).toMatchObject({ ok: false, error: expect.stringMatching(/a reason needs a status code/) });
  });

  it('limits the reason to 123 bytes of UTF-8, counting bytes not characters (§5.5)', () => {
    expect(validateCloseCode(1000, 'a'.repeat(123)).ok).toBe(true);
    expect(validateCloseCode(1000, 'a'.repeat(124))).toMatchObject({ ok: false, error: expect.stringMatching(/the reason is 124 bytes in UTF-8; at most 123 fit/) });
    expect(validateCloseCode(1000, 'é'.repeat(61)).ok).toBe(true); // 122 bytes
    expect(validateCloseCode(1000, 'é'.repeat(62))).toMatchObject({ ok: false, error: expect.stringMatching(/124 bytes/) });
  });

  it('flags reasons that are not valid UTF-8', () => {
    expect(validateCloseCode(1000, 'a\ud800b')).toMatchObject({ ok: false, error: expect.stringMatching(/unpaired surrogate/) });
    expect(validateCloseCode(1000, new Uint8Array([0xc3, 0x28]))).toMatchObject({ ok: false, error: expect.stringMatching(/not valid UTF-8/) });
  });

  it('builds invalid frames on purpose with allowInvalid, reporting what is wrong as warnings', () => {
    const r = buildClosePayload(1005, new Uint8Array([0xff]), { allowInvalid: true });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(hex(r.payload)).toBe('03edff');
    expect(r.warnings).toHaveLength(2);
    const long = buildClosePayload(1000, 'x'.repeat(200), { allowInvalid: true });
    expect(long.ok && long.payload.length).toBe(202);
  });

  it('cannot encode what is not a 16-bit integer, even with allowInvalid', () => {
    expect(buildClosePayload(70000, '', { allowInvalid: true })).toMatchObject({ ok: false, error: expect.stringMatching(/from 0 to 65535/) });
    expect(buildClosePayload(1000.5, '', { allowInvalid: true }).ok).toBe(false);
    expect(buildClosePayload(0, '', { allowInvalid: true })).toMatchObject({ ok: true, payload: new Uint8Array([0, 0]) });
  });
});
