import { describe, expect, it } from 'vitest';
import type { Referrer } from '@berth/contract';
import { trustSummary } from './trust';

const ref = (kind: Referrer['kind'], type: Referrer['type']): Referrer => ({
  digest: `sha256:${kind}-${type}`,
  artifactType: null,
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  kind,
  type,
  tags: [],
});

describe('trustSummary', () => {
  it('counts tag signatures and subject referrers by what they are', () => {
    expect(
      trustSummary([
        ref('tag-signature', 'signature'),
        ref('referrer', 'signature'),
        ref('tag-signature', 'attestation'),
        ref('referrer', 'sbom'),
        ref('referrer', null),
      ]),
    ).toEqual({ signatures: 2, attestations: 1, sboms: 1, others: 1 });
    expect(trustSummary([])).toEqual({ signatures: 0, attestations: 0, sboms: 0, others: 0 });
  });
});
