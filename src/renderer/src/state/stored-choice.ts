/**
 * A choice remembered in this browser profile (localStorage): the theme, the
 * table's time mode. Storage can be unavailable (private windows, a locked
 * profile); the choice then lasts for this page, and a missing or unknown
 * stored value reads as the fallback.
 */
import { useEffect, useState } from 'react';

export function readStoredChoice<T extends string>(key: string, choices: readonly T[], fallback: T): T {
  try {
    const stored = localStorage.getItem(key);
    return choices.find((c) => c === stored) ?? fallback;
  } catch {
    return fallback;
  }
}

/** useState for one of `choices`, read from and written back to localStorage under `key`. */
export function useStoredChoice<T extends string>(key: string, choices: readonly T[], fallback: T): [T, (choice: T) => void] {
  const [choice, setChoice] = useState<T>(() => readStoredChoice(key, choices, fallback));
  useEffect(() => {
    try {
      localStorage.setItem(key, choice);
    } catch {
      // No storage: the choice lasts for this page.
    }
  }, [key, choice]);
  return [choice, setChoice];
}
