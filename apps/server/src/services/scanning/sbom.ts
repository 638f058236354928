import { createHash } from 'node:crypto';
import { Enums, Models, Serialize, Spec } from '@cyclonedx/cyclonedx-library';
import { VERSION } from '../../version.js';
import type { InventoryPackage } from './inventory/types.js';
import type { StoredInventory } from './scan-service.js';

/** What a package is in CycloneDX: an operating system's package is still a library to it. */
const TYPE_OF: Record<string, Enums.ComponentType> = {
  deb: Enums.ComponentType.Library,
  apk: Enums.ComponentType.Library,
  rpm: Enums.ComponentType.Library,
  npm: Enums.ComponentType.Library,
  pypi: Enums.ComponentType.Library,
  golang: Enums.ComponentType.Library,
};

/** The namespace of Berth's name-based serial numbers (RFC 9562 version 5). */
const SERIAL_NAMESPACE = Buffer.from('de93919cb58540a3a50b31fc400e1548', 'hex');

/** A version 5 UUID named by `name`: the same name always gives the same UUID. */
function nameBasedUuid(name: string): string {
  const hash = createHash('sha1').update(SERIAL_NAMESPACE).update(name).digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * An image's inventory as a CycloneDX 1.5 JSON document: the image is the BOM's subject (a
 * container, named by repository and digest), each package a component with its package URL,
 * and where Berth found it (the layer, the file) as properties under Berth's namespace.
 *
 * The same result always gives the same bytes: the timestamp is the result's, lists are
 * sorted, and the serial number is a UUID named by the rest of the document. An SBOM attached
 * to the image (sbom-referrer.ts) is therefore stored once per result, and attaching it again
 * changes nothing.
 */
export function cycloneDxJson(
  image: { namespace: string; repository: string; digest: string },
  inventory: StoredInventory,
  generatedAt: number,
): string {
  const bom = new Models.Bom();
  bom.metadata.timestamp = new Date(generatedAt);
  bom.metadata.tools.components.add(
    new Models.Component(Enums.ComponentType.Application, 'berth', { version: VERSION }),
  );
  bom.metadata.component = new Models.Component(
    Enums.ComponentType.Container,
    `${image.namespace}/${image.repository}`,
    { version: image.digest, bomRef: image.digest },
  );
  if (inventory.distro) {
    bom.components.add(
      new Models.Component(Enums.ComponentType.OperatingSystem, inventory.distro.id, {
        version: inventory.distro.versionId,
        bomRef: `os:${inventory.distro.id}@${inventory.distro.versionId}`,
      }),
    );
  }
  inventory.packages.forEach((p: InventoryPackage, i) => {
    const component = new Models.Component(TYPE_OF[p.type] ?? Enums.ComponentType.Library, p.name, {
      version: p.version,
      purl: p.purl,
      // The same package may sit in two places (two node_modules trees): the place tells them apart.
      bomRef: `${p.purl}#${i}`,
    });
    component.properties.add(new Models.Property('berth:layer', p.layer));
    component.properties.add(new Models.Property('berth:path', p.path));
    if (p.source) {
      component.properties.add(
        new Models.Property('berth:source', `${p.source.name}@${p.source.version}`),
      );
    }
    bom.components.add(component);
  });
  const serializer = new Serialize.JsonSerializer(
    new Serialize.JSON.Normalize.Factory(Spec.Spec1dot5),
  );
  const options = { sortLists: true, space: 2 };
  bom.serialNumber = `urn:uuid:${nameBasedUuid(serializer.serialize(bom, options))}`;
  return serializer.serialize(bom, options);
}
