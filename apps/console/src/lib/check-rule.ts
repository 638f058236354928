import { capitalize } from './format';

/**
 * The domain's account rules (checkUsername, checkPassword, checkKeyName) throw the server's
 * own InputError; a form wants that message under its field, or null when the value passes.
 */
export function ruleViolation(check: () => unknown): string | null {
  try {
    check();
    return null;
  } catch (error) {
    return capitalize(error instanceof Error ? error.message : String(error)) + '.';
  }
}
