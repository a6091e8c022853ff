// Lint rules, including the layering rule: src/main/core is plain Node and
// never imports Electron, React or the renderer (DESIGN.md, convention 1).
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export const CORE_LAYERING_RULE = {
  'no-restricted-imports': [
    'error',
    {
      paths: [
        { name: 'electron', message: 'src/main/core runs in plain Node: Electron belongs in the thin shell (src/main/*.ts).' },
        { name: 'react', message: 'src/main/core never imports React: UI code lives in src/renderer.' },
        { name: 'react-dom', message: 'src/main/core never imports React: UI code lives in src/renderer.' },
      ],
      patterns: [
        { group: ['electron/*', 'react/*', 'react-dom/*'], message: 'src/main/core never imports Electron or React.' },
        { group: ['**/renderer', '**/renderer/**'], message: 'src/main/core never imports renderer code.' },
      ],
    },
  ],
};

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'test-results/**', 'playwright-report/**', 'docs/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-control-regex': 'off',
    },
  },
  {
    files: ['src/renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['src/main/core/**/*.ts'],
    rules: CORE_LAYERING_RULE,
  },
);
