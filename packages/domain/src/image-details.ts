/**
 * What an image config (OCI image-spec config.md, Docker's image JSON) says about how the image
 * runs and how it was built, for people to read. Anything of the wrong type is left out rather
 * than refused: the config was accepted when it was pushed, and one odd field must not hide the
 * rest of the page.
 */
export interface ImageConfigDetails {
  created: string | null;
  author: string | null;
  os: string | null;
  architecture: string | null;
  variant: string | null;
  user: string | null;
  workingDir: string | null;
  entrypoint: string[] | null;
  cmd: string[] | null;
  env: string[];
  labels: Record<string, string>;
  /** `80/tcp` and the like, in the order the config lists them. */
  exposedPorts: string[];
  stopSignal: string | null;
  history: ImageHistoryStep[];
}

export interface ImageHistoryStep {
  created: string | null;
  createdBy: string | null;
  comment: string | null;
  /** A step that changed no files (ENV, CMD…): it has no layer of its own. */
  emptyLayer: boolean;
}

export class ImageConfigUnreadable extends Error {
  override readonly name = 'ImageConfigUnreadable';
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const text = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

const strings = (v: unknown): string[] | null =>
  Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : null;

function stringMap(v: unknown): Record<string, string> {
  if (!isObject(v)) return {};
  return Object.fromEntries(
    Object.entries(v).filter((e): e is [string, string] => typeof e[1] === 'string'),
  );
}

/** Throws ImageConfigUnreadable when the bytes are not a JSON object. */
export function readImageConfigDetails(bytes: Uint8Array): ImageConfigDetails {
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw new ImageConfigUnreadable('the image config is not valid UTF-8 JSON');
  }
  if (!isObject(doc)) throw new ImageConfigUnreadable('the image config is not a JSON object');
  // Docker wrote the runtime settings under `config`; very old images under `container_config`.
  const run = isObject(doc.config) ? doc.config : {};
  const history = Array.isArray(doc.history) ? doc.history.filter(isObject) : [];
  return {
    created: text(doc.created),
    author: text(doc.author),
    os: text(doc.os),
    architecture: text(doc.architecture),
    variant: text(doc.variant),
    user: text(run.User),
    workingDir: text(run.WorkingDir),
    entrypoint: strings(run.Entrypoint),
    cmd: strings(run.Cmd),
    env: strings(run.Env) ?? [],
    labels: stringMap(run.Labels),
    exposedPorts: isObject(run.ExposedPorts) ? Object.keys(run.ExposedPorts) : [],
    stopSignal: text(run.StopSignal),
    history: history.map((step) => ({
      created: text(step.created),
      createdBy: text(step.created_by),
      comment: text(step.comment),
      emptyLayer: step.empty_layer === true,
    })),
  };
}

export interface LayerDescriptor {
  digest: string;
  mediaType: string;
  sizeBytes: number;
  /**
   * Foreign (non-distributable) layers are fetched from their own URLs and never stored here;
   * they are listed so the layer count matches what a client pulls.
   */
  foreign: boolean;
}

/** Every layer of an image manifest, in order, foreign ones included (parseManifest drops them). */
export function layersOf(manifest: Uint8Array): LayerDescriptor[] {
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder().decode(manifest));
  } catch {
    return [];
  }
  if (!isObject(doc) || !Array.isArray(doc.layers)) return [];
  return doc.layers.filter(isObject).map((layer) => {
    const mediaType = typeof layer.mediaType === 'string' ? layer.mediaType : '';
    return {
      digest: typeof layer.digest === 'string' ? layer.digest : '',
      mediaType,
      sizeBytes: typeof layer.size === 'number' ? layer.size : 0,
      foreign: mediaType.includes('foreign') || mediaType.includes('nondistributable'),
    };
  });
}
