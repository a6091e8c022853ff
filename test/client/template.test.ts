import { describe, expect, it } from 'vitest';
import { compileTemplate, createTemplateState, renderTemplate, renderTemplateSource, type TemplateEnvironment } from '../../src/main/core/client/template';

const env = (over: Partial<TemplateEnvironment> = {}): TemplateEnvironment => ({
  now: () => Date.UTC(2024, 4, 1, 12, 0, 0, 250),
  random: () => 0.5,
  uuid: () => '123e4567-e89b-42d3-a456-426614174000',
  ...over,
});

function compiled(source: string) {
  const r = compileTemplate(source);
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

describe('templates', () => {
  it('fills every variable', () => {
    const t = compiled('{"seq":{{counter}},"ts":{{timestamp}},"at":"{{iso}}","r":{{random}},"n":{{randomInt:1:100}},"id":"{{uuid}}"}');
    const out = renderTemplate(t, createTemplateState(), env());
    expect(JSON.parse(out)).toEqual({
      seq: 1,
      ts: 1714564800250,
      at: '2024-05-01T12:00:00.250Z',
      r: 0.5,
      n: 51,
      id: '123e4567-e89b-42d3-a456-426614174000',
    });
    expect(t.variables).toEqual(['counter', 'timestamp', 'iso', 'random', 'randomInt', 'uuid']);
  });

  it('advances the per-connection counter once per message, only for messages using it', () => {
    const state = createTemplateState();
    const withCounter = compiled('#{{counter}}/{{ counter }}');
    const without = compiled('ping');
    expect(renderTemplate(withCounter, state, env())).toBe('#1/1');
    expect(renderTemplate(without, state, env())).toBe('ping');
    expect(renderTemplate(withCounter, state, env())).toBe('#2/2');
    const other = createTemplateState(10); // another connection has its own sequence
    expect(renderTemplate(withCounter, other, env())).toBe('#10/10');
    state.counter.reset();
    expect(renderTemplate(withCounter, state, env())).toBe('#1/1');
  });

  it('keeps randomInt inside its inclusive bounds, even at the edges of random()', () => {
    const t = compiled('{{randomInt:-2:2}}');
    const state = createTemplateState();
    expect(renderTemplate(t, state, env({ random: () => 0 }))).toBe('-2');
    expect(renderTemplate(t, state, env({ random: () => 0.999999 }))).toBe('2');
    expect(renderTemplate(t, state, env({ random: () => 1 }))).toBe('2');
    expect(renderTemplate(compiled('{{randomInt:7:7}}'), state, env())).toBe('7');
  });

  it('uses one instant for timestamp and iso in the same message', () => {
    let t = 1000;
    const ticking = env({ now: () => t++ });
    expect(renderTemplate(compiled('{{timestamp}} {{iso}}'), createTemplateState(), ticking)).toBe('1000 1970-01-01T00:00:01.000Z');
  });

  it('writes a literal {{ with \\{{ and leaves other backslashes alone', () => {
    expect(renderTemplateSource('\\{{counter}} {"p":"a\\\\b"}', createTemplateState(), env())).toEqual({ ok: true, value: '{{counter}} {"p":"a\\\\b"}' });
    expect(compiled('no variables }} here').isConstant).toBe(true);
  });

  it('reports an unknown variable clearly, with its position', () => {
    const r = compileTemplate('{"a":1,\n "b": {{cnt}}}');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toBe("unknown variable 'cnt' at line 2, column 7; known variables: counter, timestamp, iso, random, randomInt:MIN:MAX, uuid");
    expect(r.position).toMatchObject({ line: 2, column: 7 });
  });

  it('suggests the right spelling for a case mistake', () => {
    const r = compileTemplate('{{randomint:1:2}}');
    expect(!r.ok && r.error).toMatch(/unknown variable 'randomint' at column 1; did you mean 'randomInt'\?/);
  });

  it('checks arguments', () => {
    const err = (s: string) => {
      const r = compileTemplate(s);
      return r.ok ? '' : r.error;
    };
    expect(err('{{randomInt:1}}')).toMatch(/needs two integer arguments/);
    expect(err('{{randomInt:a:5}}')).toMatch(/argument 'a' is not an integer/);
    expect(err('{{randomInt:9:1}}')).toMatch(/minimum 9 is greater than maximum 1/);
    expect(err('{{counter:5}}')).toMatch(/'counter' takes no arguments/);
    expect(err('x {{counter')).toMatch(/'\{\{' at column 3 is never closed/);
    expect(err('{{}}')).toMatch(/unknown variable ''/);
  });
});
