import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: process.cwd() });

async function lintAs(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('the core layering rule', () => {
  it('reports an electron import inside src/main/core', async () => {
    const messages = await lintAs('src/main/core/capture/bad.ts', "import { app } from 'electron';\nexport const x = app;\n");
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/plain Node: Electron belongs in the thin shell/);
  });

  it('reports react and react-dom imports inside src/main/core', async () => {
    const messages = await lintAs(
      'src/main/core/server/bad.ts',
      "import React from 'react';\nimport { createRoot } from 'react-dom/client';\nexport const x = [React, createRoot];\n",
    );
    expect(messages).toHaveLength(2);
  });

  it('reports an import of renderer code inside src/main/core', async () => {
    const messages = await lintAs(
      'src/main/core/app/bad.ts',
      "import { App } from '../../../renderer/src/App';\nexport const x = App;\n",
    );
    expect(messages).toEqual([expect.stringMatching(/never imports renderer code/)]);
  });

  it('allows node built-ins, ws and shared contract imports in the core', async () => {
    const messages = await lintAs(
      'src/main/core/app/good.ts',
      "import { createServer } from 'node:http';\nimport WebSocket from 'ws';\nimport type { Commands } from '../../../shared/contract';\nexport type C = Commands;\nexport const x = [createServer, WebSocket];\n",
    );
    expect(messages).toEqual([]);
  });

  it('allows electron in the shell outside the core', async () => {
    const messages = await lintAs('src/main/ipc.ts', "import { ipcMain } from 'electron';\nexport const x = ipcMain;\n");
    expect(messages).toEqual([]);
  });
});
