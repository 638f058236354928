import { InlineNotification } from '@carbon/react';
import type { ImageDetails } from '@berth/contract';
import type { ReactNode } from 'react';
import { capitalize, formatDateTime } from '../../../lib/format';
import { platformName } from './platform-name';

type Config = NonNullable<ImageDetails['config']>;

/** A term and its value; nothing at all when the config does not say. */
function Item({ term, children }: { term: string; children: ReactNode }) {
  if (children === null || children === undefined || children === '') return null;
  return (
    <div className="berth-facts__item">
      <dt>{term}</dt>
      <dd>{children}</dd>
    </div>
  );
}

/** An exec-form command as a shell would show it: each word quoted when it needs to be. */
function commandLine(words: readonly string[] | null): ReactNode {
  if (!words || words.length === 0) return null;
  const quoted = words.map((w) => (/^[\w@%+=:,./-]+$/.test(w) ? w : JSON.stringify(w)));
  return <code>{quoted.join(' ')}</code>;
}

function CodeList({ items, label }: { items: readonly string[]; label: string }) {
  if (items.length === 0) return null;
  return (
    <ul className="berth-code-list" aria-label={label}>
      {items.map((item, index) => (
        <li key={`${index}:${item}`}>
          <code>{item}</code>
        </li>
      ))}
    </ul>
  );
}

function ConfigFacts({ config }: { config: Config }) {
  const labels = Object.entries(config.labels).map(([key, value]) => `${key}=${value}`);
  return (
    <dl className="berth-facts">
      <Item term="Created">{config.created ? formatDateTime(config.created) : null}</Item>
      <Item term="Platform">{config.os || config.architecture ? platformName(config) : null}</Item>
      <Item term="Author">{config.author}</Item>
      <Item term="Entrypoint">{commandLine(config.entrypoint)}</Item>
      <Item term="Command">{commandLine(config.cmd)}</Item>
      <Item term="User">{config.user ? <code>{config.user}</code> : null}</Item>
      <Item term="Working directory">
        {config.workingDir ? <code>{config.workingDir}</code> : null}
      </Item>
      <Item term="Exposed ports">{config.exposedPorts.join(', ')}</Item>
      <Item term="Stop signal">{config.stopSignal}</Item>
      <Item term="Environment">
        {config.env.length > 0 ? <CodeList items={config.env} label="Environment" /> : null}
      </Item>
      <Item term="Labels">
        {labels.length > 0 ? <CodeList items={labels} label="Labels" /> : null}
      </Item>
    </dl>
  );
}

/** How the image runs, from its config; or why the config cannot be shown. */
export function ConfigSection({ details }: { details: ImageDetails }) {
  if (!details.config && !details.configError) return null;
  return (
    <section className="berth-section" aria-labelledby="image-config">
      <h2 className="berth-section__title" id="image-config">
        Config
      </h2>
      {details.configError ? (
        <InlineNotification
          kind="warning"
          lowContrast
          hideCloseButton
          title="The image config cannot be shown."
          subtitle={`${capitalize(details.configError.message)}. The layers below come from the manifest.`}
        />
      ) : null}
      {details.config ? <ConfigFacts config={details.config} /> : null}
    </section>
  );
}
