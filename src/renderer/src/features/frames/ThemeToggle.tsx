import { useEffect, useState } from 'react';

export type ThemeChoice = 'auto' | 'light' | 'dark';
const KEY = 'framescope.theme';

function stored(): ThemeChoice {
  try {
    const v = localStorage.getItem(KEY);
    return v === 'light' || v === 'dark' ? v : 'auto';
  } catch {
    return 'auto';
  }
}

/** Applies a theme: 'auto' follows the OS (prefers-color-scheme); the others override it. */
export function applyTheme(choice: ThemeChoice): void {
  const root = document.documentElement;
  if (choice === 'auto') delete root.dataset.theme;
  else root.dataset.theme = choice;
}

/** Light, dark, or the OS's choice; remembered in this browser profile. */
export function ThemeToggle() {
  const [choice, setChoice] = useState<ThemeChoice>(stored);
  useEffect(() => {
    applyTheme(choice);
    try {
      localStorage.setItem(KEY, choice);
    } catch {
      // Storage may be unavailable (private windows): the choice then lasts for this page.
    }
  }, [choice]);
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
