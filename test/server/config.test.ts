import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, isLoopbackHost, normalizeOrigin, validateServerConfig } from '../../src/main/core/server/config';

const errorsOf = (input: unknown) => {
  const r = validateServerConfig(input);
  return r.ok ? [] : r.errors;
};

describe('validateServerConfig', () => {
  it('fills in loopback, no TLS and the policy defaults', () => {
    const r = validateServerConfig({ port: 0, routes: [{ path: '/echo', app: 'echo' }] });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toMatchObject({ host: '127.0.0.1', port: 0, tls: null, policy: DEFAULT_POLICY });
    expect(r.value.routes).toEqual([{ match: 'exact', path: '/echo', app: 'echo', options: {} }]);
  });

  it('accepts the whole contract, as the console sends it (undefined fields included)', () => {
    const r = validateServerConfig({
      host: '::1',
      port: 8080,
      tls: { mode: 'files', certFile: '/etc/c.pem', keyFile: '/etc/k.pem', caFile: '/etc/ca.pem' },
      routes: [
        { match: 'filter', path: '#', app: 'pubsub', options: undefined, maxConnections: 5 },
        { match: 'prefix', path: '/tick', app: 'periodic', options: { intervalMs: 500 }, maxConnections: undefined },
      ],
      policy: {
        originAllowList: ['https://App.Example:8443', 'null'],
        subprotocols: ['chat.v2', 'chat'],
        credentials: { kind: 'basic', username: 'ada', password: 's3cret' },
        maxConnections: 100,
        retryAfterSeconds: 3,
        handshakeTimeoutMs: 2000,
        maxPayload: 1024,
        deflate: { serverNoContextTakeover: true, clientMaxWindowBits: 10 },
        heartbeatMs: 1000,
        deadPeerTimeoutMs: 5000,
        requireClientCertificate: true,
      },
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.routes[0].maxConnections).toBe(5);
    expect(r.value.policy.originAllowList).toEqual(['https://app.example:8443', 'null']);
    expect(r.value.policy.deflate).toEqual({ serverNoContextTakeover: true, clientNoContextTakeover: false, clientMaxWindowBits: 10 });
  });

  it('names every bad field at once', () => {
    expect(
      errorsOf({
        host: 'not a host!',
        port: 70000,
        tls: { mode: 'files', certFile: 'relative.pem' },
        routes: [{ path: '/a', app: 'telnet' }, { path: '/b', app: 'echo', maxConnections: 0 }],
        policy: {
          originAllowList: ['https://a.example/path'],
          subprotocols: ['two words'],
          credentials: { kind: 'basic', username: 'a:b', password: 'x' },
          heartbeatMs: 5,
          deflate: { serverMaxWindowBits: 16 },
          colour: 'blue',
        },
      }),
    ).toEqual([
      'host: "not a host!" is neither an IP address nor a host name',
      'port: must be a whole number from 0 to 65535, 0 picking a free one (got 70000)',
      'tls.certFile: must be an absolute path (got "relative.pem")',
      'tls.keyFile: is required',
      'policy.colour: unknown field; expected one of originAllowList, subprotocols, credentials, maxConnections, retryAfterSeconds, handshakeTimeoutMs, maxPayload, deflate, heartbeatMs, deadPeerTimeoutMs, requireClientCertificate',
      'policy.originAllowList[0]: must be an origin such as "https://app.example:8443" (scheme://host[:port], no path), or "null" (got "https://a.example/path")',
      "policy.subprotocols[0]: must be a token (letters, digits and !#$%&'*+-.^_`|~, no spaces or commas) (got \"two words\")",
      'policy.credentials.username: must be non-empty and must not contain ":" (RFC 7617 §2)',
      'policy.heartbeatMs: must be a whole number from 10 to 86400000, or 0 for off (got 5)',
      'policy.deflate.serverMaxWindowBits: must be a whole number from 8 to 15 (got 16)',
      "routes[0].app: must be one of 'echo', 'chat', 'pubsub', 'log-view', 'periodic', 'script' (got \"telnet\")",
      'routes[1].maxConnections: must be a whole number from 1 to 1000000 (got 0)',
    ]);
  });

  it('requires a port and a route, and client certificates need a CA', () => {
    expect(errorsOf({ routes: [] })).toEqual([
      'port: is required: a whole number from 0 to 65535 (0 picks a free one)',
      'routes: at least one route is needed, e.g. {"path":"/echo","app":"echo"}',
    ]);
    expect(errorsOf({ port: 0, tls: { mode: 'self-signed' }, routes: [{ path: '/e', app: 'echo' }], policy: { requireClientCertificate: true } })).toEqual([
      "policy.requireClientCertificate: needs tls.mode 'files' with a caFile, the CA that signs the client certificates",
    ]);
    expect(errorsOf({ port: 0, routes: [{ path: '/e', app: 'echo' }], policy: { credentials: { kind: 'bearer', token: 'a b' } } })).toEqual([
      'policy.credentials.token: must be a non-empty b64token: letters, digits and -._~+/ then optional = (RFC 6750 §2.1)',
    ]);
    expect(errorsOf('nope')).toEqual(['the server request must be an object with port and routes (got "nope")']);
  });

  it('knows loopback hosts and serialises origins', () => {
    expect(['127.0.0.1', '127.1.2.3', '::1', 'localhost'].every(isLoopbackHost)).toBe(true);
    expect(['0.0.0.0', '::', '192.168.1.2', 'example.com'].some(isLoopbackHost)).toBe(false);
    expect(normalizeOrigin('HTTP://Example.COM:80')).toBe('http://example.com');
    expect(normalizeOrigin('https://a.example/')).toBe('https://a.example');
    expect(normalizeOrigin('https://a.example/x')).toBeUndefined();
  });
});
