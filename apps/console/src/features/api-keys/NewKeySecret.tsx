import { CodeSnippet, InlineNotification } from '@carbon/react';
import type { CreatedApiKey } from '@berth/contract';
import { useId } from 'react';
import { useRegistryHost } from '../../api/regions';
import { useCurrentUser } from '../../api/session';

/** How to use a new key, with the registry host clients push to. */
function usage(host: string, username: string) {
  const insecure = window.location.protocol === 'http:';
  return {
    login: `skopeo login${insecure ? ' --tls-verify=false' : ''} ${host} -u ${username}`,
    api: `curl -H "Authorization: Bearer $BERTH_KEY" ${window.location.origin}/api/v1/namespaces`,
  };
}

/** The new key's secret, this once, with a copy button and what to do with it. */
export function NewKeySecret({ created }: { created: CreatedApiKey }) {
  const username = useCurrentUser()?.username ?? '<username>';
  const host = useRegistryHost();
  const { login, api } = usage(host, username);
  const secretLabel = useId();
  return (
    <div className="berth-modal-body berth-new-key">
      <InlineNotification
        kind="warning"
        lowContrast
        hideCloseButton
        title="Copy the key now."
        subtitle="It is shown only this once: Berth cannot show it again. If it is lost, revoke it and create another."
      />
      <div className="berth-pull">
        <span className="berth-pull__label" id={secretLabel}>
          API key
        </span>
        {/* Multi-line so that a phone shows the whole key, wrapped, rather than scroll it. */}
        <CodeSnippet
          type="multi"
          aria-labelledby={secretLabel}
          feedback="Copied"
          copyButtonDescription="Copy API key"
          wrapText
        >
          {created.secret}
        </CodeSnippet>
      </div>
      <div>
        <h3 className="berth-modal-subheading">Registry clients</h3>
        <p>Sign in with your username, and the key as the password when asked:</p>
        <pre className="berth-command">{login}</pre>
        <p className="berth-muted">The same works for podman login and docker login.</p>
      </div>
      <div>
        <h3 className="berth-modal-subheading">The API</h3>
        <p>Send the key as a bearer token, here from the variable BERTH_KEY:</p>
        <pre className="berth-command">{api}</pre>
      </div>
    </div>
  );
}
