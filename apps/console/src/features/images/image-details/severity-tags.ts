import type { Severity } from '@berth/contract';

export const SEVERITY_WORDS: Record<Severity, string> = {
  critical: 'Critical',
  high: 'High',
  medium: 'Medium',
  low: 'Low',
  unknown: 'Unknown',
};

/** Carbon's tag colours, most alarming for the most severe. */
export const SEVERITY_TAGS: Record<Severity, 'red' | 'magenta' | 'purple' | 'blue' | 'gray'> = {
  critical: 'red',
  high: 'magenta',
  medium: 'purple',
  low: 'blue',
  unknown: 'gray',
};
