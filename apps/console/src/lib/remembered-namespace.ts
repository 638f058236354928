/**
 * The namespace a person was last in, per region, so Trash, Retention and Repositories open
 * on it instead of on the first namespace of the list. Kept in localStorage: a preference of
 * this browser, not something the server needs to know.
 */
const key = (region: string) => `berth.namespace.${region}`;

export function rememberedNamespace(region: string | undefined): string | null {
  if (!region) return null;
  try {
    return window.localStorage.getItem(key(region));
  } catch {
    // Storage refused (private mode, a policy): the pages fall back to the first namespace.
    return null;
  }
}

export function rememberNamespace(region: string | undefined, namespace: string): void {
  if (!region) return;
  try {
    window.localStorage.setItem(key(region), namespace);
  } catch {
    // As above: remembering is a convenience.
  }
}

export type NamespaceChoice =
  | { namespace: string; notFound: null }
  | { namespace: undefined; notFound: string }
  | { namespace: undefined; notFound: null };

/**
 * Which namespace a page that works inside one shows: the one the address asks for, when
 * the person can see it; otherwise none, and the address's name is reported as not found (a
 * page never shows another namespace's data in its place). With none asked for: the one
 * remembered, else the first.
 */
export function chooseNamespace(
  visible: readonly string[],
  requested: string | null,
  remembered: string | null,
): NamespaceChoice {
  if (requested) {
    return visible.includes(requested)
      ? { namespace: requested, notFound: null }
      : { namespace: undefined, notFound: requested };
  }
  if (remembered && visible.includes(remembered)) return { namespace: remembered, notFound: null };
  const [first] = visible;
  return first === undefined
    ? { namespace: undefined, notFound: null }
    : { namespace: first, notFound: null };
}
