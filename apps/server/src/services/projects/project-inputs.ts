import {
  type ImageReference,
  InputError,
  NotFoundError,
  checkCpu,
  checkDataKey,
  checkEnvName,
  checkMemory,
  checkResourceName,
  parseImagePointer,
} from '@berth/domain';

// The grammars the contract leaves to the domain, checked before any storage call. Each
// refusal names the field (in its message and in details.field), so the console can put the
// message beside it.

/** Project ids are 16 lowercase hex characters (random); anything else names no project. */
const PROJECT_ID = /^[0-9a-f]{16}$/;

export function requireProjectId(id: string): string {
  if (!PROJECT_ID.test(id)) {
    throw new NotFoundError('PROJECT_UNKNOWN', `project "${clip(id)}" does not exist`);
  }
  return id;
}

/** kind: "project", "app", "job", "secret", "config map" */
export function requireResourceName(kind: string, name: string): string {
  const check = checkResourceName(name);
  if (!check.ok) {
    const code = `INVALID_${kind.toUpperCase().replace(/ /g, '_')}_NAME`;
    throw invalid(code, 'name', `${kind} name "${clip(name)}" ${check.reason}`);
  }
  return name;
}

export function requireImagePointer(text: string): ImageReference {
  const parsed = parseImagePointer(text);
  if (!parsed.ok) {
    throw invalid('INVALID_IMAGE_POINTER', 'image', `image "${clip(text)}" ${parsed.reason}`);
  }
  return parsed.pointer;
}

export function requireSize(cpu: number, memoryMiB: number): void {
  const c = checkCpu(cpu);
  if (!c.ok) throw invalid('INVALID_CPU', 'cpu', `cpu ${cpu} ${c.reason}`);
  const m = checkMemory(memoryMiB);
  if (!m.ok) {
    throw invalid('INVALID_MEMORY', 'memoryMiB', `memoryMiB ${memoryMiB} ${m.reason}`);
  }
}

export function requireEnvNames(env: Record<string, string>): void {
  for (const name of Object.keys(env)) {
    const check = checkEnvName(name);
    if (!check.ok) {
      throw invalid(
        'INVALID_ENV_NAME',
        'env',
        `env: variable name "${clip(name)}" ${check.reason}`,
      );
    }
  }
}

/** Keys of secret and config-map data. */
export function requireDataKeys(field: string, data: Record<string, string>): void {
  for (const key of Object.keys(data)) {
    const check = checkDataKey(key);
    if (!check.ok) {
      throw invalid('INVALID_DATA_KEY', field, `${field}: key "${clip(key)}" ${check.reason}`);
    }
  }
}

const invalid = (code: string, field: string, message: string) =>
  new InputError(code, message, { field });

/** Echoing a 10 KB name back in an error helps nobody. */
function clip(value: string): string {
  return value.length > 80 ? `${value.slice(0, 77)}…` : value;
}
