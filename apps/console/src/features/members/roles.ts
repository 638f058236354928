import type { NamespaceRoleName, ProjectRoleName } from '@berth/contract';

export interface RoleOption<R extends string> {
  value: R;
  label: string;
  /** What the role adds to the one before it, as a person choosing would ask. */
  description: string;
}

/** Ranked lowest first, as in the domain's NAMESPACE_ROLES. */
export const NAMESPACE_ROLE_OPTIONS: RoleOption<NamespaceRoleName>[] = [
  {
    value: 'viewer',
    label: 'Viewer',
    description: 'Sees repositories, images and the trash; pulls.',
  },
  {
    value: 'writer',
    label: 'Writer',
    description: 'Also pushes, deletes and untags images, and restores from the trash.',
  },
  {
    value: 'manager',
    label: 'Manager',
    description:
      'Also runs retention, sets the quota and public access, manages members, and can delete the namespace.',
  },
];

export const PROJECT_ROLE_OPTIONS: RoleOption<ProjectRoleName>[] = [
  {
    value: 'viewer',
    label: 'Viewer',
    description: 'Sees apps, jobs, config maps and secret names (never their values).',
  },
  {
    value: 'editor',
    label: 'Editor',
    description: 'Also creates, changes and deletes apps, jobs, secrets and config maps.',
  },
  {
    value: 'manager',
    label: 'Manager',
    description: 'Also manages members, and deletes and restores the project.',
  },
];

export function roleLabel<R extends string>(options: RoleOption<R>[], role: R): string {
  return options.find((option) => option.value === role)?.label ?? role;
}
