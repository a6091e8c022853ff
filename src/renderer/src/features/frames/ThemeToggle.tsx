import { useEffect } from 'react';
import { useStoredChoice } from '../../state/stored-choice';

type ThemeChoice = 'auto' | 'light' | 'dark';
const THEMES: readonly ThemeChoice[] = ['auto', 'light', 'dark'];

/** Applies a theme: 'auto' follows the OS (prefers-color-scheme); the others override it. */
function applyTheme(choice: ThemeChoice): void {
  const root = document.documentElement;
  if (choice === 'auto') delete root.dataset.theme;
  else root.dataset.theme = choice;
}

/** Light, dark, or the OS's choice; remembered in this browser profile. */
export function ThemeToggle() {
  const [choice, setChoice] = useStoredChoice('framescope.theme', THEMES, 'auto');
  useEffect(() => applyTheme(choice), [choice]);
  const next: Record<ThemeChoice, ThemeChoice> = { auto: 'light', light: 'dark', dark: 'auto' };
  const label: Record<ThemeChoice, string> = { auto: '◐ Auto', light: '☀ Light', dark: '☾ Dark' };
  return (
    <button
      className="small theme-toggle"
      data-testid="theme-toggle"
      title="Theme: follow the OS, light or dark"
      onClick={() => setChoice(next[choice])}
    >
      {label[choice]}
    </button>
  );
}
