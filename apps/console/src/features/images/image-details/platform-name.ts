/** `linux/arm64/v8`, as docker's `--platform` takes it. */
export function platformName(p: {
  os: string | null;
  architecture: string | null;
  variant: string | null;
}): string {
  return [p.os ?? 'unknown', p.architecture ?? 'unknown', p.variant].filter(Boolean).join('/');
}
