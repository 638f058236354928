import type { Referrer } from '@berth/contract';

export interface TrustSummary {
  signatures: number;
  attestations: number;
  sboms: number;
  others: number;
}

/**
 * Counts an image's trust information by what it is. Subject referrers and cosign tag
 * signatures count alike: the server says what each one is (`type`) whichever way it was
 * attached (`kind`).
 */
export function trustSummary(referrers: readonly Referrer[]): TrustSummary {
  const count = (type: Referrer['type']) => referrers.filter((r) => r.type === type).length;
  const signatures = count('signature');
  const attestations = count('attestation');
  const sboms = count('sbom');
  return {
    signatures,
    attestations,
    sboms,
    others: referrers.length - signatures - attestations - sboms,
  };
}
