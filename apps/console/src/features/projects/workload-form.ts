import type { App, AppUpdateBody, Job, JobKind } from '@berth/contract';
import {
  checkCpu,
  checkEnvName,
  checkMemory,
  checkResourceName,
  parseImagePointer,
} from '@berth/domain';
import {
  entriesToMap,
  entryErrors,
  filledEntries,
  MAX_ENTRIES,
  newEntry,
  type Entry,
  type EntryErrors,
} from './KeyValueEditor';

export interface WorkloadForm {
  name: string;
  kind: JobKind;
  image: string;
  cpu: string;
  memoryMiB: string;
  /** One argument per line. */
  command: string;
  env: Entry[];
}

export interface WorkloadErrors {
  name?: string;
  image?: string;
  cpu?: string;
  memoryMiB?: string;
  command?: string;
  env: Map<number, EntryErrors>;
  envTotal?: string;
}

/** The contract's defaults: half a vCPU and 1 GiB. */
export function initialWorkloadForm(existing?: App | Job): WorkloadForm {
  if (!existing) {
    return {
      name: '',
      kind: 'job',
      image: '',
      cpu: '0.5',
      memoryMiB: '1024',
      command: '',
      env: [newEntry()],
    };
  }
  const env = Object.entries(existing.env).map(([key, value]) => newEntry(key, value));
  return {
    name: existing.name,
    kind: 'kind' in existing ? existing.kind : 'job',
    image: existing.image.pointer,
    cpu: String(existing.cpu),
    memoryMiB: String(existing.memoryMiB),
    command: existing.command.join('\n'),
    env: env.length > 0 ? env : [newEntry()],
  };
}

function commandOf(text: string): string[] {
  return text.split('\n').filter((line) => line.trim() !== '');
}

/** The same rules the server applies (`@berth/domain`), so most mistakes never leave the form. */
export function validateWorkload(form: WorkloadForm): WorkloadErrors {
  const errors: WorkloadErrors = { env: entryErrors(form.env, checkEnvName, false) };
  const name = checkResourceName(form.name.trim());
  if (!name.ok) errors.name = form.name.trim() === '' ? 'Enter a name' : `Name ${name.reason}`;
  const image = parseImagePointer(form.image.trim());
  if (!image.ok) {
    errors.image = form.image.trim() === '' ? 'Enter the image to run' : `Image ${image.reason}`;
  }
  const cpu = Number(form.cpu);
  const cpuCheck = checkCpu(cpu);
  if (form.cpu.trim() === '' || !cpuCheck.ok) {
    errors.cpu = `CPU ${cpuCheck.ok ? 'is required' : cpuCheck.reason}`;
  }
  const memory = Number(form.memoryMiB);
  const memoryCheck = checkMemory(memory);
  if (form.memoryMiB.trim() === '' || !memoryCheck.ok) {
    errors.memoryMiB = `Memory ${memoryCheck.ok ? 'is required' : memoryCheck.reason}`;
  }
  if (commandOf(form.command).length > 64) errors.command = 'At most 64 arguments';
  if (filledEntries(form.env) > MAX_ENTRIES) {
    errors.envTotal = `At most ${MAX_ENTRIES} environment variables`;
  }
  return errors;
}

export function hasErrors(errors: WorkloadErrors): boolean {
  return (
    !!(errors.name || errors.image || errors.cpu || errors.memoryMiB || errors.command) ||
    !!errors.envTotal ||
    errors.env.size > 0
  );
}

export function workloadBody(form: WorkloadForm): AppUpdateBody {
  return {
    image: form.image.trim(),
    command: commandOf(form.command),
    env: entriesToMap(form.env),
    cpu: Number(form.cpu),
    memoryMiB: Number(form.memoryMiB),
  };
}

export function formatCpu(cpu: number): string {
  return `${cpu.toLocaleString(undefined, { maximumFractionDigits: 3 })} vCPU`;
}

export function formatMemory(mib: number): string {
  return mib >= 1024 && mib % 1024 === 0 ? `${(mib / 1024).toLocaleString()} GiB` : `${mib} MiB`;
}
