import { describe, expect, it } from 'vitest';
import type { TailRecord } from '../../src/shared/contract';
import type { LogLine } from '../../src/shared/records';
import { fail, ok, type Result } from '../../src/shared/result';
import { LogTimeline } from '../../src/renderer/src/state/log-timeline';

/** The main side's locateTimes over frames captured at these times (ids 0, 1, 2, …): the first frame after each time. */
function locator(frameTimes: number[]) {
  const calls: number[][] = [];
  let down = false;
  return {
    calls,
    setDown: (v: boolean) => (down = v),
    api: {
      async locateTimes({ times }: { times: number[] }): Promise<Result<{ ids: number[] }>> {
        calls.push(times);
        if (down) return fail('the connection to the Framescope host was lost');
        return ok({ ids: times.map((t) => { const i = frameTimes.findIndex((f) => f > t); return i < 0 ? frameTimes.length : i; }) });
      },
    },
  };
}

const settle = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};
const log = (time: number, message: string): LogLine => ({ time, level: 'info', source: 'server', message });
const tailLine = (time: number, text: string): TailRecord => ({ tailId: 't1', time, kind: 'line', text });

describe('log lines placed among frames', () => {
  it("anchors Framescope's own log and a tail's lines on the first frame captured after each, in time order", async () => {
    const main = locator([100, 200, 300]);
    let changes = 0;
    const timeline = new LogTimeline(main.api, () => changes++);
    const logs = [log(150, 'listening'), log(350, 'closed')];
    const tails = new Map([['t1', [tailLine(50, 'app start'), tailLine(250, 'GET /ws 101')]]]);
    timeline.update(logs, tails);
    await settle();
    expect(timeline.lines.map((l) => [l.time, l.anchor, l.source, l.text])).toEqual([
      [50, 0, 't1', 'app start'],
      [150, 1, 'framescope', '[server] listening'],
      [250, 2, 't1', 'GET /ws 101'],
      [350, 3, 'framescope', '[server] closed'],
    ]);
    expect(changes).toBe(1);
  });

  it('locates only lines added since the last call, also when the own log dropped its oldest lines', async () => {
    const main = locator([100, 200, 300]);
    const timeline = new LogTimeline(main.api, () => undefined);
    const logs = [log(10, 'a'), log(20, 'b')];
    const records = [tailLine(15, 'x')];
    const tails = new Map([['t1', records]]);
    timeline.update(logs, tails);
    await settle();
    // The own log is capped: its oldest line goes, two new ones come; the tail grows in place.
    logs.shift();
    logs.push(log(210, 'c'), log(220, 'd'));
    records.push(tailLine(205, 'y'));
    timeline.update(logs, tails);
    await settle();
    expect(main.calls).toEqual([
      [10, 20, 15],
      [210, 220, 205],
    ]);
    expect(timeline.lines.map((l) => l.time)).toEqual([10, 15, 20, 205, 210, 220]);
    expect(timeline.lines.map((l) => l.anchor)).toEqual([0, 0, 0, 2, 2, 2]);
  });

  it('merges a later batch holding older lines into place', async () => {
    const main = locator([100, 200]);
    const timeline = new LogTimeline(main.api, () => undefined);
    const logs = [log(150, 'first seen')];
    timeline.update(logs, new Map());
    await settle();
    timeline.update(logs, new Map([['t1', [tailLine(90, 'older tail line')]]]));
    await settle();
    expect(timeline.lines.map((l) => l.text)).toEqual(['older tail line', '[server] first seen']);
  });

  it('keeps lines it could not place and places them with the next ones', async () => {
    const main = locator([100]);
    const timeline = new LogTimeline(main.api, () => undefined);
    main.setDown(true);
    const logs = [log(50, 'early')];
    timeline.update(logs, new Map());
    await settle();
    expect(timeline.lines).toEqual([]);
    main.setDown(false);
    logs.push(log(150, 'late'));
    timeline.update(logs, new Map());
    await settle();
    expect(timeline.lines.map((l) => [l.text, l.anchor])).toEqual([
      ['[server] early', 0],
      ['[server] late', 1],
    ]);
  });

  it('shows only lines that pass the text filter, and all of them again without one', async () => {
    const main = locator([100]);
    const timeline = new LogTimeline(main.api, () => undefined);
    timeline.update([log(1, 'GET /a'), log(2, 'POST /b'), log(3, 'GET /c')], new Map());
    await settle();
    const before = timeline.version;
    timeline.setFilter((t) => t.includes('GET'));
    expect(timeline.version).toBeGreaterThan(before);
    expect(timeline.visible.map((l) => l.text)).toEqual(['[server] GET /a', '[server] GET /c']);
    timeline.setFilter(null);
    expect(timeline.visible).toHaveLength(3);
  });
});
