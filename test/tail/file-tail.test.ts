import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileTailer, LineSplitter, type TailEvent, tailFiles } from '../../src/main/core/tail/file-tail';

let dir: string;
let tailers: FileTailer[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'framescope-tail-'));
});
afterEach(async () => {
  await Promise.all(tailers.map((t) => t.stop()));
  tailers = [];
  rmSync(dir, { recursive: true, force: true });
});

/** A tailer polled by hand, so each step is deterministic. */
function manual(options: ConstructorParameters<typeof FileTailer>[1] = {}) {
  const events: TailEvent[] = [];
  const tailer = new FileTailer((e) => events.push(e), options);
  tailers.push(tailer);
  const lines = (file?: string) => events.flatMap((e) => (e.type === 'lines' && (!file || e.file === file) ? e.lines : []));
  const kinds = () => events.filter((e) => e.type !== 'lines').map((e) => e.type);
  return { tailer, events, lines, kinds };
}

describe('LineSplitter', () => {
  const enc = (s: string) => new TextEncoder().encode(s);

  it('holds a partial last line until its newline arrives', () => {
    const s = new LineSplitter();
    expect(s.push(enc('one\ntw')).lines).toEqual(['one']);
    expect(s.pendingBytes).toBe(2);
    expect(s.push(enc('o\nthree\n')).lines).toEqual(['two', 'three']);
  });

  it('removes the CR of CRLF, also when CR and LF arrive in different reads', () => {
    const s = new LineSplitter();
    expect(s.push(enc('a\r\nb\r')).lines).toEqual(['a']);
    expect(s.push(enc('\n')).lines).toEqual(['b']);
  });

  it('never splits a multi-byte character across reads', () => {
    const s = new LineSplitter();
    const bytes = enc('größe ✓\n');
    expect(s.push(bytes.subarray(0, 3)).lines).toEqual([]);
    expect(s.push(bytes.subarray(3)).lines).toEqual(['größe ✓']);
  });

  it('cuts a huge line at the limit, on a character boundary, and skips its rest', () => {
    const s = new LineSplitter(10);
    const r1 = s.push(enc('aaaaaaaaa€€€€'));
    expect(r1.lines).toEqual(['aaaaaaaaa']);
    expect(r1.capped).toEqual([0]);
    expect(s.push(enc('more of the same line')).lines).toEqual([]);
    const r2 = s.push(enc('…end\nnext\n'));
    expect(r2.lines).toEqual(['next']);
    expect(r2.capped).toEqual([]);
  });

  it('keeps a line of exactly the limit', () => {
    const s = new LineSplitter(4);
    expect(s.push(enc('abcd\n'))).toEqual({ lines: ['abcd'], capped: [] });
  });

  it('flushes the unfinished line on demand', () => {
    const s = new LineSplitter();
    s.push(enc('half'));
    expect(s.flush().lines).toEqual(['half']);
    expect(s.flush().lines).toEqual([]);
  });
});

describe('FileTailer', () => {
  it('starts at the end and follows appends', async () => {
    const f = join(dir, 'app.log');
    writeFileSync(f, 'old 1\nold 2\n');
    const { tailer, lines } = manual();
    expect(await tailer.add(f)).toEqual({ path: f, exists: true, position: 12 });
    await tailer.poll();
    expect(lines()).toEqual([]);
    appendFileSync(f, 'new 1\nnew 2\n');
    await tailer.poll();
    appendFileSync(f, 'new 3\n');
    await tailer.poll();
    expect(lines()).toEqual(['new 1', 'new 2', 'new 3']);
  });

  it('reports a line being written when the tail started as one whole line', async () => {
    const f = join(dir, 'app.log');
    writeFileSync(f, 'done\nhalf of a ');
    const { tailer, lines } = manual();
    await tailer.add(f);
    appendFileSync(f, 'line\n');
    await tailer.poll();
    expect(lines()).toEqual(['half of a line']);
  });

  it('waits for the end of a partial line across polls, and handles CRLF', async () => {
    const f = join(dir, 'app.log');
    writeFileSync(f, '');
    const { tailer, lines } = manual();
    await tailer.add(f);
    appendFileSync(f, 'GET /index');
    await tailer.poll();
    expect(lines()).toEqual([]);
    appendFileSync(f, '.html 200\r\nnext\r\n');
    await tailer.poll();
    expect(lines()).toEqual(['GET /index.html 200', 'next']);
  });

  it('caps huge lines and says which ones', async () => {
    const f = join(dir, 'app.log');
    writeFileSync(f, '');
    const { tailer, events } = manual({ maxLineBytes: 100, readChunkBytes: 64 });
    await tailer.add(f);
    appendFileSync(f, `${'x'.repeat(1000)}\nshort\n`);
    await tailer.poll();
    const all = events.flatMap((e) => (e.type === 'lines' ? e.lines.map((l, i) => ({ l, capped: e.capped?.includes(i) ?? false })) : []));
    expect(all).toEqual([
      { l: 'x'.repeat(100), capped: true },
      { l: 'short', capped: false },
    ]);
  });

  it('survives truncation: reports it and reads again from the start', async () => {
    const f = join(dir, 'app.log');
    writeFileSync(f, 'a long first line\n');
    const { tailer, lines, kinds, events } = manual();
    await tailer.add(f);
    truncateSync(f, 0);
    appendFileSync(f, 'after\n');
    await tailer.poll();
    expect(kinds()).toEqual(['truncated']);
    expect(events.find((e) => e.type === 'truncated')).toMatchObject({ previousPosition: 18, size: 6 });
    expect(lines()).toEqual(['after']);
  });

  it('survives rotation (rename + new file) without losing lines written to the old file', async () => {
    const f = join(dir, 'app.log');
    writeFileSync(f, '');
    const { tailer, lines, kinds } = manual();
    await tailer.add(f);
    appendFileSync(f, 'before rotation\n');
    await tailer.poll();
    appendFileSync(f, 'late line in old file\n'); // written after our last poll...
    renameSync(f, `${f}.1`); // ...then logrotate renames
    writeFileSync(f, 'first in new file\n');
    await tailer.poll();
    expect(kinds()).toEqual(['rotated']);
    expect(lines()).toEqual(['before rotation', 'late line in old file', 'first in new file']);
    appendFileSync(f, 'second in new file\n');
    appendFileSync(`${f}.1`, 'nobody reads this\n');
    await tailer.poll();
    expect(lines().slice(-1)).toEqual(['second in new file']);
  });

  it('reports deletion, keeps watching the name, and reports recreation', async () => {
    const f = join(dir, 'app.log');
    writeFileSync(f, '');
    const { tailer, lines, kinds } = manual();
    await tailer.add(f);
    appendFileSync(f, 'last words');
    unlinkSync(f);
    await tailer.poll();
    expect(kinds()).toEqual(['deleted']);
    expect(lines()).toEqual(['last words']); // the unfinished line is flushed, not lost
    expect(tailer.states()[0].exists).toBe(false);
    await tailer.poll();
    expect(kinds()).toEqual(['deleted']);
    writeFileSync(f, 'back again\n');
    await tailer.poll();
    expect(kinds()).toEqual(['deleted', 'recreated']);
    expect(lines()).toEqual(['last words', 'back again']);
  });

  it('follows a file that does not exist yet from its start once it appears', async () => {
    const f = join(dir, 'later.log');
    const { tailer, lines, kinds } = manual();
    expect(await tailer.add(f)).toEqual({ path: f, exists: false, position: 0 });
    await tailer.poll();
    writeFileSync(f, 'hello\n');
    await tailer.poll();
    expect(kinds()).toEqual(['created']);
    expect(lines()).toEqual(['hello']);
  });

  it('reports an unreadable path once, not on every poll', async () => {
    const d = join(dir, 'a-directory');
    mkdirSync(d);
    const { tailer, events } = manual();
    await tailer.add(d);
    await tailer.poll();
    await tailer.poll();
    expect(events).toEqual([expect.objectContaining({ type: 'error', code: 'EISDIR', message: 'is a directory (EISDIR)' })]);
  });

  it('refuses a symbolic link put in place of the file at rotation, in words, and streams nothing of its target', async () => {
    const secret = join(dir, 'secret');
    writeFileSync(secret, 'root:hunter2\n');
    const f = join(dir, 'app.log');
    writeFileSync(f, '');
    const { tailer, lines, events } = manual();
    await tailer.add(f);
    appendFileSync(f, 'before the swap\n');
    await tailer.poll();
    renameSync(f, `${f}.1`);
    symlinkSync(secret, f);
    await tailer.poll();
    await tailer.poll();
    expect(lines()).toEqual(['before the swap']);
    expect(events.filter((e) => e.type !== 'lines')).toEqual([
      expect.objectContaining({ type: 'rotated' }),
      expect.objectContaining({
        type: 'error',
        code: 'ESYMLINK',
        message: expect.stringMatching(/^refused: the path is now a symbolic link, which could point at any file; .* \(ESYMLINK\)$/),
      }),
    ]);
    expect(tailer.states()[0]).toMatchObject({ exists: false, error: 'ESYMLINK' });
    // A real file back in its place is followed again.
    unlinkSync(f);
    writeFileSync(f, 'a real log again\n');
    await tailer.poll();
    expect(lines()).toEqual(['before the swap', 'a real log again']);
    expect(events.at(-2)).toMatchObject({ type: 'recreated' });
  });

  it('refuses a link that appears where a missing file was expected', async () => {
    const secret = join(dir, 'secret');
    writeFileSync(secret, 'root:hunter2\n');
    const f = join(dir, 'later.log');
    const { tailer, lines, events } = manual();
    await tailer.add(f);
    symlinkSync(secret, f);
    await tailer.poll();
    expect(lines()).toEqual([]);
    expect(events).toEqual([expect.objectContaining({ type: 'error', code: 'ESYMLINK' })]);
  });

  it('follows a path that was a symbolic link when its tail began, through its target\'s rotation', async () => {
    const target = join(dir, 'real.log');
    writeFileSync(target, 'old\n');
    const link = join(dir, 'current.log');
    symlinkSync(target, link);
    const { tailer, lines, events } = manual();
    expect(await tailer.add(link)).toMatchObject({ exists: true, position: 4 });
    appendFileSync(target, 'through the link\n');
    await tailer.poll();
    renameSync(target, `${target}.1`);
    writeFileSync(target, 'new file behind the link\n');
    await tailer.poll();
    expect(lines()).toEqual(['through the link', 'new file behind the link']);
    expect(events.filter((e) => e.type === 'error')).toEqual([]);
  });

  it('refuses a pipe put in place of the file without blocking on it', async () => {
    const f = join(dir, 'app.log');
    writeFileSync(f, '');
    const { tailer, events } = manual();
    await tailer.add(f);
    unlinkSync(f);
    execFileSync('mkfifo', [f]);
    // Opening a pipe for reading waits for a writer, unless it is opened non-blocking.
    await tailer.poll();
    expect(events.filter((e) => e.type === 'error')).toEqual([expect.objectContaining({ code: 'ENOTFILE', message: 'not a regular file (ENOTFILE)' })]);
  });

  it('follows many files independently', async () => {
    const files = Array.from({ length: 20 }, (_, i) => join(dir, `f${i}.log`));
    for (const f of files) writeFileSync(f, 'x\n');
    const { tailer, lines } = manual();
    for (const f of files) await tailer.add(f);
    files.forEach((f, i) => appendFileSync(f, `line of ${i}\n`));
    await tailer.poll();
    files.forEach((f, i) => expect(lines(f)).toEqual([`line of ${i}`]));
  });

  it('polls by itself every intervalMs', async () => {
    const f = join(dir, 'app.log');
    writeFileSync(f, '');
    const events: TailEvent[] = [];
    const tailer = await tailFiles([f], (e) => events.push(e), { intervalMs: 15 });
    tailers.push(tailer);
    appendFileSync(f, 'tick\n');
    const deadline = Date.now() + 3000;
    while (!events.some((e) => e.type === 'lines') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(events).toEqual([expect.objectContaining({ type: 'lines', file: f, lines: ['tick'] })]);
  });

  it('keeps going when the sink throws', async () => {
    const f = join(dir, 'app.log');
    writeFileSync(f, '');
    let calls = 0;
    const tailer = new FileTailer(() => {
      calls++;
      throw new Error('sink broke');
    });
    tailers.push(tailer);
    await tailer.add(f);
    appendFileSync(f, 'a\n');
    await tailer.poll();
    appendFileSync(f, 'b\n');
    await tailer.poll();
    expect(calls).toBe(2);
  });

  it('with watch, reacts to a change before the next poll is due', async () => {
    const f = join(dir, 'app.log');
    writeFileSync(f, '');
    const events: TailEvent[] = [];
    const tailer = await tailFiles([f], (e) => events.push(e), { intervalMs: 60_000, watch: true });
    tailers.push(tailer);
    await new Promise((r) => setTimeout(r, 20)); // let the watcher settle
    appendFileSync(f, 'seen via fs.watch\n');
    const deadline = Date.now() + 3000;
    while (!events.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(events).toEqual([expect.objectContaining({ type: 'lines', lines: ['seen via fs.watch'] })]);
  });

  it('loses nothing and keeps order while a writer appends and rotates between polls', async () => {
    const f = join(dir, 'busy.log');
    writeFileSync(f, '');
    const events: TailEvent[] = [];
    const tailer = await tailFiles([f], (e) => events.push(e), { intervalMs: 5 });
    tailers.push(tailer);
    const written: string[] = [];
    for (let i = 0; i < 300; i++) {
      const line = `line ${i} ${'.'.repeat(i % 50)}`;
      written.push(line);
      // Written in two pieces so that polls see partial lines.
      appendFileSync(f, line.slice(0, 4));
      appendFileSync(f, `${line.slice(4)}\n`);
      if (i === 150) {
        renameSync(f, `${f}.1`);
        writeFileSync(f, '');
      }
      if (i % 25 === 0) await new Promise((r) => setTimeout(r, 6));
    }
    const got = () => events.flatMap((e) => (e.type === 'lines' ? e.lines : []));
    const deadline = Date.now() + 5000;
    while (got().length < written.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(got()).toEqual(written);
  });
});
