/** Inputs shared by the fuzz targets: random bytes, and text that is almost what a parser expects. */
import fc from 'fast-check';

/** Random bytes, up to 4 KiB. */
export const bytes = fc.uint8Array({ maxLength: 4096 });

/** A string made mostly of the characters that matter to HTTP heads and JSON, and some of any other. */
export const nastyString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: fc.constantFrom(' ', '\t', '\r', '\n', ':', ';', ',', '=', '"', '\\', '/', '?', '#', '@', '%', 'a', 'Z', '0', '\0', 'é', '😀', '\u2028'), maxLength: 40 }),
  fc.constantFrom('', ' ', 'websocket', 'Upgrade', '13', 'GET', 'HTTP/1.1', '/', 'permessage-deflate; client_max_window_bits', 'dGhlIHNhbXBsZSBub25jZQ=='),
);

/** Objects whose keys trip up code that treats parsed JSON as plain data: {"toString": false} makes String() throw. */
const hostileObject = fc.dictionary(fc.constantFrom('toString', 'valueOf', 'toJSON', '__proto__', 'constructor', 'length', 'then'), fc.jsonValue({ maxDepth: 2 }), {
  maxKeys: 3,
});

/** Any JSON value, now and then one of the hostile objects above. */
export const json = fc.oneof({ weight: 4, arbitrary: fc.jsonValue({ maxDepth: 4 }) }, { weight: 1, arbitrary: hostileObject });

/**
 * An object with `keys` (those in `required` always, the others some of the time), each
 * holding something plausible, or now and then anything at all.
 */
export function almost(keys: Record<string, fc.Arbitrary<unknown>>, required: readonly string[] = []): fc.Arbitrary<Record<string, unknown>> {
  const fields = Object.fromEntries(Object.entries(keys).map(([k, good]) => [k, fc.oneof({ weight: 5, arbitrary: good }, { weight: 1, arbitrary: json })]));
  return fc.record(fields, { requiredKeys: required.filter((k) => k in keys) });
}
